--
-- PostgreSQL database dump
--


-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: previous_release; Type: SCHEMA; Schema: -; Owner: -
--



--
-- Name: audit_checkpoints_guard(); Type: FUNCTION; Schema: previous_release; Owner: -
--

CREATE FUNCTION previous_release.audit_checkpoints_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'previous_release'
    AS $$
BEGIN
  IF NEW.size <= (SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints)
     OR NEW.size > (SELECT COALESCE(MAX(seq) + 1, 0) FROM audit_entries) THEN
    RAISE EXCEPTION 'audit_checkpoints is append-only: sizes must grow and not exceed the log';
  END IF;
  RETURN NEW;
END $$;


--
-- Name: audit_entries_guard(); Type: FUNCTION; Schema: previous_release; Owner: -
--

CREATE FUNCTION previous_release.audit_entries_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'previous_release'
    AS $$
DECLARE last_seq bigint; last_hash text;
BEGIN
  SELECT seq, hash INTO last_seq, last_hash FROM audit_entries ORDER BY seq DESC LIMIT 1;
  IF NEW.seq IS DISTINCT FROM COALESCE(last_seq + 1, 0)
     OR NEW.prev_hash IS DISTINCT FROM COALESCE(last_hash, '0000000000000000000000000000000000000000000000000000000000000000') THEN
    RAISE EXCEPTION 'audit_entries is append-only: seq % refused (next is %), prev_hash must link',
      NEW.seq, COALESCE(last_seq + 1, 0);
  END IF;
  RETURN NEW;
END $$;


--
-- Name: audit_refuse_change(); Type: FUNCTION; Schema: previous_release; Owner: -
--

CREATE FUNCTION previous_release.audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'previous_release'
    AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END $$;


--
-- Name: audit_tree_nodes_guard(); Type: FUNCTION; Schema: previous_release; Owner: -
--

CREATE FUNCTION previous_release.audit_tree_nodes_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'previous_release'
    AS $$
DECLARE last_seq bigint; last_level smallint;
BEGIN
  -- ORDER BY ... LIMIT 1 walks the primary key backwards: one row, whatever the plan.
  SELECT seq, level INTO last_seq, last_level FROM audit_tree_nodes
    ORDER BY seq DESC, level DESC LIMIT 1;
  IF (last_seq IS NOT NULL AND (NEW.seq, NEW.level) <= (last_seq, last_level))
     OR NOT EXISTS (SELECT 1 FROM audit_entries WHERE seq = NEW.seq) THEN
    RAISE EXCEPTION 'audit_tree_nodes is append-only: nodes are added in order, for existing entries';
  END IF;
  RETURN NEW;
END $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: audit_checkpoints; Type: TABLE; Schema: previous_release; Owner: -
--

CREATE TABLE previous_release.audit_checkpoints (
    size bigint NOT NULL,
    root character varying(64) NOT NULL,
    origin text NOT NULL,
    signed_at character varying(32) NOT NULL,
    note text NOT NULL
);


--
-- Name: audit_entries; Type: TABLE; Schema: previous_release; Owner: -
--

CREATE TABLE previous_release.audit_entries (
    seq bigint NOT NULL,
    ts character varying(32) NOT NULL,
    type character varying(100) NOT NULL,
    action_id character varying(200),
    actor character varying(200) NOT NULL,
    payload text NOT NULL,
    prev_hash character varying(64) NOT NULL,
    hash character varying(64) NOT NULL
);


--
-- Name: audit_tree_nodes; Type: TABLE; Schema: previous_release; Owner: -
--

CREATE TABLE previous_release.audit_tree_nodes (
    seq bigint NOT NULL,
    level smallint NOT NULL,
    hash bytea NOT NULL
);


--
-- Name: steward_api_keys; Type: TABLE; Schema: previous_release; Owner: -
--

CREATE TABLE previous_release.steward_api_keys (
    name character varying(100) NOT NULL,
    role character varying(16) NOT NULL,
    token_hash character varying(64) NOT NULL,
    created_at double precision NOT NULL,
    revoked_at double precision
);


--
-- Name: steward_kill_switches; Type: TABLE; Schema: previous_release; Owner: -
--

CREATE TABLE previous_release.steward_kill_switches (
    scope character varying(200) NOT NULL,
    operator character varying(200) NOT NULL,
    reason text NOT NULL,
    engaged_at double precision NOT NULL
);


--
-- Name: steward_requests; Type: TABLE; Schema: previous_release; Owner: -
--

CREATE TABLE previous_release.steward_requests (
    id character varying(40) NOT NULL,
    action character varying(64) NOT NULL,
    target character varying(64),
    category character varying(64),
    requester character varying(200) NOT NULL,
    idempotency_key character varying(200),
    params json,
    params_hash character varying(64),
    context json NOT NULL,
    state character varying(32) NOT NULL,
    action_class character varying(32),
    decision json,
    confirmation json,
    approval json,
    outcome json,
    error_code character varying(64),
    error_message text,
    catalog_version character varying(64),
    policy_version character varying(64),
    created_at double precision NOT NULL,
    updated_at double precision NOT NULL,
    expires_at double precision,
    queued_at double precision,
    lease_owner character varying(100),
    lease_expires_at double precision,
    attempts integer NOT NULL,
    commit_started_at double precision,
    commit_done_at double precision
);


--
-- Data for Name: audit_checkpoints; Type: TABLE DATA; Schema: previous_release; Owner: -
--

INSERT INTO previous_release.audit_checkpoints VALUES (15, '5f0183dbf65ca85b6824f7938809d54f9841b54c5369500743593eb1351adc75', 'steward.local/audit', '2026-12-02T10:49:41.399Z', 'steward.local/audit
15
XwGD2/ZcqFtoJPeTiAnVT5hBtUxTaVAHQ1k+sTUa3HU=

— steward-audit Nfpeh/R2abgwDDqJhEqrzue93RhphjAWqwAMntlhjyeCwq9oTi9PQETdE/2KaVmWGMX8PIydXZ3en/hg/Cj/0xoGYgE=
');
INSERT INTO previous_release.audit_checkpoints VALUES (20, 'f6eb2af8e782ef444699c38928c8c1583fe40322c75897b4ef781d0552cf6df2', 'steward.local/audit', '2026-12-02T10:49:41.433Z', 'steward.local/audit
20
9usq+OeC70RGmcOJKMjBWD/kAyLHWJe073gdBVLPbfI=

— steward-audit Nfpehxzh80e1plmxJ8I7jN+REa9UhgaHyhmxgsZht+QngBf904TffAHfUc+N9IlNj0dzq3lZFJ16dFwFqV7MH5579Qo=
');
INSERT INTO previous_release.audit_checkpoints VALUES (21, '485f0808d320377d65b26ad95ebf6a84163b5dbc490223d69e419091b1dc41da', 'steward.local/audit', '2026-12-02T10:49:41.459Z', 'steward.local/audit
21
SF8ICNMgN31lsmrZXr9qhBY7XbxJAiPWnkGQkbHcQdo=

— steward-audit Nfpeh4v9PpydigkaUPGH5KSkoGYBpaq5nqZea5Ojk3awug73X3lMIBi76p1UoTvEBQOb1f4plcZg9H+ynH+WtJRDVQE=
');


--
-- Data for Name: audit_entries; Type: TABLE DATA; Schema: previous_release; Owner: -
--

INSERT INTO previous_release.audit_entries VALUES (0, '2026-12-02T10:49:41.329Z', 'catalog.loaded', NULL, 'system:release-0.1.0', '{"by":"release-0.1.0","files":["billing_console.yaml"],"previous":null,"summary":"1 targets, 4 actions: cancel_subscription, issue_credit, lookup_account, update_contact_email","version":"47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f"}', '0000000000000000000000000000000000000000000000000000000000000000', '5ac528cb953bc9272f0df431110c29839a5af016f8d15f9c6cc77b15e0d61786');
INSERT INTO previous_release.audit_entries VALUES (1, '2026-12-02T10:49:41.330Z', 'policy.loaded', NULL, 'system:release-0.1.0', '{"by":"release-0.1.0","previous":null,"summary":"6 rules, 2 limits: small-credits-autonomous, huge-credits-forbidden, enterprise-billing-approval, contact-change-confirmed, cancellation-approval, low-agent-confidence, credit-budget-hourly, credit-budget-per-requester","version":"4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af"}', '5ac528cb953bc9272f0df431110c29839a5af016f8d15f9c6cc77b15e0d61786', '1502f4d63e6c905c9fa2dfbf6910ddd8d8ae7bb55684017a8883adf387a52e83');
INSERT INTO previous_release.audit_entries VALUES (2, '2026-12-02T10:49:41.345Z', 'request.received', 'req_01a2365fdade16da8c1b83ac', 'agent:resolver-bot', '{"action":"issue_credit","catalog_version":"47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f","context":{"account_tier":"pro","agent_confidence":0.95,"conversation_id":"conv-1","customer_id":"CUST-1","metadata":{}},"idempotency_key":"k-1","params":{"account_id":"ACC-000042","amount_cents":20000,"reason":"Late parcel"},"params_hash":"663bddfe5286d2a4847f9295597a145df6c37c9e29fb64d9843430767b194492","requester":"resolver-bot","target":"billing_console"}', '1502f4d63e6c905c9fa2dfbf6910ddd8d8ae7bb55684017a8883adf387a52e83', '04e6b82eb1041bbdbc501605852515da215fa9a286016f31e5b687fc307c36ef');
INSERT INTO previous_release.audit_entries VALUES (3, '2026-12-02T10:49:41.349Z', 'policy.decided', 'req_01a2365fdade16da8c1b83ac', 'agent:resolver-bot', '{"class":"human_approved","default_class":"human_approved","explanation":"human_approved: the default class of issue_credit","limits":[{"adding":20000,"class":"human_approved","current":0,"decisive":false,"exceeded":false,"id":"credit-budget-hourly","max":100000,"per":"1h","reason":"More than $1000 of credits in the last hour","scope":"global","status":"ok"},{"adding":20000,"class":"human_approved","current":0,"decisive":false,"exceeded":false,"id":"credit-budget-per-requester","max":25000,"per":"1h","reason":"This requester issued more than $250 of credits in the last hour","scope":"requester","status":"ok"}],"policy_version":"4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af","rules":[]}', '04e6b82eb1041bbdbc501605852515da215fa9a286016f31e5b687fc307c36ef', '5fcf1b474f56242ec5d28c769efe23e3b44e15e0636054360c51a60f5b623c7d');
INSERT INTO previous_release.audit_entries VALUES (4, '2026-12-02T10:49:41.351Z', 'request.awaiting_approval', 'req_01a2365fdade16da8c1b83ac', 'agent:resolver-bot', '{"from":"received","reason":"human_approved: the default class of issue_credit","to":"awaiting_approval"}', '5fcf1b474f56242ec5d28c769efe23e3b44e15e0636054360c51a60f5b623c7d', 'd4f9b20424e676c45734e426404bf329bdacdbd0f198d209c8106aa30dfc9c4e');
INSERT INTO previous_release.audit_entries VALUES (5, '2026-12-02T10:49:41.360Z', 'approval.granted', 'req_01a2365fdade16da8c1b83ac', 'operator:dana', '{"note":"ok","operator":"dana","requester":"resolver-bot"}', 'd4f9b20424e676c45734e426404bf329bdacdbd0f198d209c8106aa30dfc9c4e', '6120c81cc634cd771ed3356342a2f3e1d8d7461ce0f3839eb0c54d2dd94910a5');
INSERT INTO previous_release.audit_entries VALUES (6, '2026-12-02T10:49:41.361Z', 'request.queued', 'req_01a2365fdade16da8c1b83ac', 'operator:dana', '{"from":"awaiting_approval","reason":"approved by dana: ok","to":"queued"}', '6120c81cc634cd771ed3356342a2f3e1d8d7461ce0f3839eb0c54d2dd94910a5', '979a2a52b1ef67c039a52498464a912a747aa9ae1a3cff8283f7b077713c76be');
INSERT INTO previous_release.audit_entries VALUES (7, '2026-12-02T10:49:41.367Z', 'request.received', 'req_01a2365fdaf5d779c5f10353', 'agent:resolver-bot', '{"action":"update_contact_email","catalog_version":"47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f","context":{"account_tier":"pro","agent_confidence":0.95,"conversation_id":"conv-1","customer_id":"CUST-1","metadata":{}},"idempotency_key":null,"params":{"account_id":"ACC-000043","new_email":"hmac-sha256:3b18b3ff535e5e47482f23067e277f985ddec7b7499ad941504beb1a2d87eb53"},"params_hash":"84dfa1a5a0671e18b297c5c4082b62879f0074127bcea1106748d046b673a71c","requester":"resolver-bot","target":"billing_console"}', '979a2a52b1ef67c039a52498464a912a747aa9ae1a3cff8283f7b077713c76be', '0eab9802ce45e881909fc6f152aecdac36b1445ea0bd1037b8bfd8f81815952f');
INSERT INTO previous_release.audit_entries VALUES (8, '2026-12-02T10:49:41.368Z', 'policy.decided', 'req_01a2365fdaf5d779c5f10353', 'agent:resolver-bot', '{"class":"customer_confirmed","default_class":"customer_confirmed","explanation":"customer_confirmed by contact-change-confirmed: The customer must confirm the new contact email","limits":[],"policy_version":"4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af","rules":[{"class":"customer_confirmed","decisive":true,"id":"contact-change-confirmed","reason":"The customer must confirm the new contact email","relax":false}]}', '0eab9802ce45e881909fc6f152aecdac36b1445ea0bd1037b8bfd8f81815952f', '0b3b0ca2ae020b3a1dc81590b32657fb64a7606d40e4415c91543427dd6cee99');
INSERT INTO previous_release.audit_entries VALUES (9, '2026-12-02T10:49:41.369Z', 'request.awaiting_confirmation', 'req_01a2365fdaf5d779c5f10353', 'agent:resolver-bot', '{"from":"received","reason":"customer_confirmed by contact-change-confirmed: The customer must confirm the new contact email","to":"awaiting_confirmation"}', '0b3b0ca2ae020b3a1dc81590b32657fb64a7606d40e4415c91543427dd6cee99', 'dc8b658981ee071b36991d4c8def9ac670c86ce45177f41e23b40ff2d34b4976');
INSERT INTO previous_release.audit_entries VALUES (10, '2026-12-02T10:49:41.374Z', 'confirmation.attached', 'req_01a2365fdaf5d779c5f10353', 'agent:resolver-bot', '{"channel":"chat","confirmed_at":"2026-12-02T10:49:41.371Z","params_hash":"84dfa1a5a0671e18b297c5c4082b62879f0074127bcea1106748d046b673a71c","quote":"yes","reference":null}', 'dc8b658981ee071b36991d4c8def9ac670c86ce45177f41e23b40ff2d34b4976', '7f9562199a3f95cfed06c17a3da41a15bfdb13dadbf15f4274250a0507ba9525');
INSERT INTO previous_release.audit_entries VALUES (11, '2026-12-02T10:49:41.375Z', 'request.queued', 'req_01a2365fdaf5d779c5f10353', 'agent:resolver-bot', '{"from":"awaiting_confirmation","reason":"customer confirmed","to":"queued"}', '7f9562199a3f95cfed06c17a3da41a15bfdb13dadbf15f4274250a0507ba9525', '443758fdb9cc95e389057d57d72a06826baeeb7d12a8ff6355b5cff9bca1bfd1');
INSERT INTO previous_release.audit_entries VALUES (12, '2026-12-02T10:49:41.383Z', 'request.received', 'req_01a2365fdb04c95730a77906', 'agent:resolver-bot', '{"action":"issue_credit","catalog_version":"47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f","context":{"account_tier":"pro","agent_confidence":0.95,"conversation_id":"conv-1","customer_id":"CUST-1","metadata":{}},"idempotency_key":null,"params":{"account_id":"ACC-000044","amount_cents":90000,"reason":"Too much"},"params_hash":"d46a269b390d31d2bc46fd50847108a023610c85a97998eeb275e5e825aa8355","requester":"resolver-bot","target":"billing_console"}', '443758fdb9cc95e389057d57d72a06826baeeb7d12a8ff6355b5cff9bca1bfd1', '7f3799f24c513938543a96a0efae7c5db664e6ea75cc3d48adab75c9339af330');
INSERT INTO previous_release.audit_entries VALUES (13, '2026-12-02T10:49:41.384Z', 'policy.decided', 'req_01a2365fdb04c95730a77906', 'agent:resolver-bot', '{"class":"forbidden","default_class":"human_approved","explanation":"forbidden by huge-credits-forbidden: Credits above $500 are handled by the billing team","limits":[{"adding":90000,"class":"human_approved","current":20000,"decisive":false,"exceeded":true,"id":"credit-budget-hourly","max":100000,"per":"1h","reason":"More than $1000 of credits in the last hour","scope":"global","status":"exceeded"},{"adding":90000,"class":"human_approved","current":20000,"decisive":false,"exceeded":true,"id":"credit-budget-per-requester","max":25000,"per":"1h","reason":"This requester issued more than $250 of credits in the last hour","scope":"requester","status":"exceeded"}],"policy_version":"4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af","rules":[{"class":"forbidden","decisive":true,"id":"huge-credits-forbidden","reason":"Credits above $500 are handled by the billing team","relax":false}]}', '7f3799f24c513938543a96a0efae7c5db664e6ea75cc3d48adab75c9339af330', '54e6784e28ad43c0230e2db9e39a1e652c75e20cd4e49a7f34400b0a763f765b');
INSERT INTO previous_release.audit_entries VALUES (14, '2026-12-02T10:49:41.385Z', 'request.rejected', 'req_01a2365fdb04c95730a77906', 'agent:resolver-bot', '{"code":"forbidden","from":"received","reason":"forbidden by huge-credits-forbidden: Credits above $500 are handled by the billing team","to":"rejected"}', '54e6784e28ad43c0230e2db9e39a1e652c75e20cd4e49a7f34400b0a763f765b', 'ee4bd911accbb5fee6e86cf7c82b0879af6899630772909d648104d2c682283f');
INSERT INTO previous_release.audit_entries VALUES (15, '2026-12-02T10:49:41.410Z', 'request.received', 'req_01a2365fdb1f8c85e1625ebe', 'agent:resolver-bot', '{"action":"cancel_subscription","catalog_version":"47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f","context":{"account_tier":"pro","agent_confidence":0.95,"conversation_id":"conv-1","customer_id":"CUST-1","metadata":{}},"idempotency_key":null,"params":{"account_id":"ACC-000045"},"params_hash":"b7d2b01fdb5b14c45f7fd7ffef11cd60eba1fd30858026a5f87ff4539bbffd7c","requester":"resolver-bot","target":"billing_console"}', 'ee4bd911accbb5fee6e86cf7c82b0879af6899630772909d648104d2c682283f', '9857cd0fb097add8c8b2177f1f00f0586cd00f090cba0ac86927de368ad0569f');
INSERT INTO previous_release.audit_entries VALUES (16, '2026-12-02T10:49:41.411Z', 'policy.decided', 'req_01a2365fdb1f8c85e1625ebe', 'agent:resolver-bot', '{"class":"human_approved","default_class":"human_approved","explanation":"human_approved by cancellation-approval: Cancelling a subscription needs an operator''s approval","limits":[],"policy_version":"4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af","rules":[{"class":"human_approved","decisive":true,"id":"cancellation-approval","reason":"Cancelling a subscription needs an operator''s approval","relax":false}]}', '9857cd0fb097add8c8b2177f1f00f0586cd00f090cba0ac86927de368ad0569f', '6cc81e66adc937a09c197bb3e450d0964b7745154ede19a89f4c716477c4a112');
INSERT INTO previous_release.audit_entries VALUES (17, '2026-12-02T10:49:41.412Z', 'request.awaiting_approval', 'req_01a2365fdb1f8c85e1625ebe', 'agent:resolver-bot', '{"from":"received","reason":"human_approved by cancellation-approval: Cancelling a subscription needs an operator''s approval","to":"awaiting_approval"}', '6cc81e66adc937a09c197bb3e450d0964b7745154ede19a89f4c716477c4a112', 'cc4e78fbca0daa33506ff36df52cc6c1399559bb9ce61583656d07bd0edd666c');
INSERT INTO previous_release.audit_entries VALUES (18, '2026-12-02T10:49:41.422Z', 'approval.denied', 'req_01a2365fdb1f8c85e1625ebe', 'operator:dana', '{"note":"not justified","operator":"dana","requester":"resolver-bot"}', 'cc4e78fbca0daa33506ff36df52cc6c1399559bb9ce61583656d07bd0edd666c', 'b82d553f3e6b858e2195a31e9fe7d3bf377487ca30d07a0f79a38e0a069d6439');
INSERT INTO previous_release.audit_entries VALUES (19, '2026-12-02T10:49:41.423Z', 'request.denied', 'req_01a2365fdb1f8c85e1625ebe', 'operator:dana', '{"from":"awaiting_approval","reason":"denied by dana: not justified","to":"denied"}', 'b82d553f3e6b858e2195a31e9fe7d3bf377487ca30d07a0f79a38e0a069d6439', 'a9330b9fef3870c1e6de97b58cfc4c8875aa1f4632a0015be4aefcc130f820b7');
INSERT INTO previous_release.audit_entries VALUES (20, '2026-12-02T10:49:41.441Z', 'killswitch.engaged', NULL, 'operator:dana', '{"operator":"dana","reason":"incident 7","scope":"global"}', 'a9330b9fef3870c1e6de97b58cfc4c8875aa1f4632a0015be4aefcc130f820b7', '2e3005fa777588094bc97db2f2a0a9f054c8e0d7d5280c3cdef37636adeccdf8');


--
-- Data for Name: audit_tree_nodes; Type: TABLE DATA; Schema: previous_release; Owner: -
--

INSERT INTO previous_release.audit_tree_nodes VALUES (1, 1, '\x1bc51c2bc48fb95440460962fabb4fd0c08313eb11b99354403ded10864df717');
INSERT INTO previous_release.audit_tree_nodes VALUES (3, 1, '\x66971b42ae60fd959c3dbf811f36fde017a4fe70624a5c86f43d1d2ea4d3c60e');
INSERT INTO previous_release.audit_tree_nodes VALUES (3, 2, '\x34528c6833aaf7d87c9a26d3daad3496613761f526139f40930ce8ab9f4fd2ac');
INSERT INTO previous_release.audit_tree_nodes VALUES (5, 1, '\x149f725bf2626ee9a4a2e728c3799e33409438d66a030ac2d39c479e58516eb1');
INSERT INTO previous_release.audit_tree_nodes VALUES (7, 1, '\x2657f93757875d35025246b45c1359665b34059a69e4694112c9bd428e057540');
INSERT INTO previous_release.audit_tree_nodes VALUES (7, 2, '\x37d33f05e06205753430ce651def6586345eaa730c7c42fe40dfd83c0edb07ca');
INSERT INTO previous_release.audit_tree_nodes VALUES (7, 3, '\xa46e2378bf4ae62dc46e4d0427652bc0dd104c58f159fb7daa707bc0c9015074');
INSERT INTO previous_release.audit_tree_nodes VALUES (9, 1, '\xebbebff8e71449fb65a1da0530a6ff26628744b9ad383c2061d66774d925fa9b');
INSERT INTO previous_release.audit_tree_nodes VALUES (11, 1, '\x64da7c87751d3bf8929bc5aa28caaa22a2bb8f4d5901e279557ca078f4ee5d03');
INSERT INTO previous_release.audit_tree_nodes VALUES (11, 2, '\x0db24644ceb8f7b64e9ed5bf8e4521e9b54a1c414bdcdb62d88eb1750da6ca96');
INSERT INTO previous_release.audit_tree_nodes VALUES (13, 1, '\xad88bf024d1138037b91e997ead1d91800d26dea74f00bfc0386bf166ab67392');
INSERT INTO previous_release.audit_tree_nodes VALUES (15, 1, '\x779fd0995d3e654adeab9760628670458bd737c319303b876338ddd9dd554581');
INSERT INTO previous_release.audit_tree_nodes VALUES (15, 2, '\x3b34385ee6f997f576def796281026c003cf56be587356a9df0e49279bb42231');
INSERT INTO previous_release.audit_tree_nodes VALUES (15, 3, '\x0a57647ce237727b10e34c5bc2a031faa76952d9b1243eddeab7981246f16d66');
INSERT INTO previous_release.audit_tree_nodes VALUES (15, 4, '\x63a139b9894253159a005085382ddda4f5708b12275f0ddd861f1ef3ff429da6');
INSERT INTO previous_release.audit_tree_nodes VALUES (17, 1, '\xba37e7020635184c4f260b029b71c0733dd74fc75882df306ddbf07d88e58e1a');
INSERT INTO previous_release.audit_tree_nodes VALUES (19, 1, '\x2da23f76c6163dd96b12d107998649501b7b2b9b8e96848d65d28000a55da3c9');
INSERT INTO previous_release.audit_tree_nodes VALUES (19, 2, '\x88d874921b325c3d5aff58674ca0696a29a1536da41a718d33ef0753e05fb741');


--
-- Data for Name: steward_api_keys; Type: TABLE DATA; Schema: previous_release; Owner: -
--

INSERT INTO previous_release.steward_api_keys VALUES ('resolver-bot', 'agent', 'b027b49f67c2a8ef12b4f5a6d67a3aa01b83ffe7c474cdddd6d478d678c0bcab', 1796208581.4495595, NULL);


--
-- Data for Name: steward_kill_switches; Type: TABLE DATA; Schema: previous_release; Owner: -
--

INSERT INTO previous_release.steward_kill_switches VALUES ('global', 'dana', 'incident 7', 1796208581.437574);


--
-- Data for Name: steward_requests; Type: TABLE DATA; Schema: previous_release; Owner: -
--

INSERT INTO previous_release.steward_requests VALUES ('req_01a2365fdade16da8c1b83ac', 'issue_credit', 'billing_console', 'billing', 'resolver-bot', 'k-1', '{"account_id": "ACC-000042", "amount_cents": 20000, "reason": "Late parcel"}', '663bddfe5286d2a4847f9295597a145df6c37c9e29fb64d9843430767b194492', '{"conversation_id": "conv-1", "customer_id": "CUST-1", "account_tier": "pro", "agent_confidence": 0.95, "metadata": {}}', 'queued', 'human_approved', '{"action": "issue_credit", "class": "human_approved", "default_class": "human_approved", "rules": [], "limits": [{"id": "credit-budget-hourly", "scope": "global", "per": "1h", "current": 0.0, "adding": 20000.0, "max": 100000.0, "exceeded": false, "status": "ok", "class": "human_approved", "reason": "More than $1000 of credits in the last hour", "decisive": false}, {"id": "credit-budget-per-requester", "scope": "requester", "per": "1h", "current": 0.0, "adding": 20000.0, "max": 25000.0, "exceeded": false, "status": "ok", "class": "human_approved", "reason": "This requester issued more than $250 of credits in the last hour", "decisive": false}], "policy_version": "4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af", "explanation": "human_approved: the default class of issue_credit"}', NULL, '{"operator": "dana", "decision": "approved", "note": "ok", "at": "2026-12-02T10:49:41.354Z"}', NULL, NULL, NULL, '47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f', '4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af', 1796208581.3427315, 1796208581.3575773, NULL, 1796208581.3575773, NULL, NULL, 0, NULL, NULL);
INSERT INTO previous_release.steward_requests VALUES ('req_01a2365fdaf5d779c5f10353', 'update_contact_email', 'billing_console', 'contact', 'resolver-bot', NULL, '{"account_id": "ACC-000043", "new_email": "x@example.com"}', '84dfa1a5a0671e18b297c5c4082b62879f0074127bcea1106748d046b673a71c', '{"conversation_id": "conv-1", "customer_id": "CUST-1", "account_tier": "pro", "agent_confidence": 0.95, "metadata": {}}', 'queued', 'customer_confirmed', '{"action": "update_contact_email", "class": "customer_confirmed", "default_class": "customer_confirmed", "rules": [{"id": "contact-change-confirmed", "class": "customer_confirmed", "reason": "The customer must confirm the new contact email", "relax": false, "decisive": true}], "limits": [], "policy_version": "4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af", "explanation": "customer_confirmed by contact-change-confirmed: The customer must confirm the new contact email"}', '{"channel": "chat", "quote": "yes", "reference": null, "confirmed_at": "2026-12-02T10:49:41.371Z", "params_hash": "84dfa1a5a0671e18b297c5c4082b62879f0074127bcea1106748d046b673a71c"}', NULL, NULL, NULL, NULL, '47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f', '4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af', 1796208581.3655946, 1796208581.3726282, NULL, 1796208581.3726282, NULL, NULL, 0, NULL, NULL);
INSERT INTO previous_release.steward_requests VALUES ('req_01a2365fdb04c95730a77906', 'issue_credit', 'billing_console', 'billing', 'resolver-bot', NULL, '{"account_id": "ACC-000044", "amount_cents": 90000, "reason": "Too much"}', 'd46a269b390d31d2bc46fd50847108a023610c85a97998eeb275e5e825aa8355', '{"conversation_id": "conv-1", "customer_id": "CUST-1", "account_tier": "pro", "agent_confidence": 0.95, "metadata": {}}', 'rejected', 'forbidden', '{"action": "issue_credit", "class": "forbidden", "default_class": "human_approved", "rules": [{"id": "huge-credits-forbidden", "class": "forbidden", "reason": "Credits above $500 are handled by the billing team", "relax": false, "decisive": true}], "limits": [{"id": "credit-budget-hourly", "scope": "global", "per": "1h", "current": 20000.0, "adding": 90000.0, "max": 100000.0, "exceeded": true, "status": "exceeded", "class": "human_approved", "reason": "More than $1000 of credits in the last hour", "decisive": false}, {"id": "credit-budget-per-requester", "scope": "requester", "per": "1h", "current": 20000.0, "adding": 90000.0, "max": 25000.0, "exceeded": true, "status": "exceeded", "class": "human_approved", "reason": "This requester issued more than $250 of credits in the last hour", "decisive": false}], "policy_version": "4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af", "explanation": "forbidden by huge-credits-forbidden: Credits above $500 are handled by the billing team"}', NULL, NULL, '{"details": {"decision": {"action": "issue_credit", "class": "forbidden", "default_class": "human_approved", "rules": [{"id": "huge-credits-forbidden", "class": "forbidden", "reason": "Credits above $500 are handled by the billing team", "relax": false, "decisive": true}], "limits": [{"id": "credit-budget-hourly", "scope": "global", "per": "1h", "current": 20000.0, "adding": 90000.0, "max": 100000.0, "exceeded": true, "status": "exceeded", "class": "human_approved", "reason": "More than $1000 of credits in the last hour", "decisive": false}, {"id": "credit-budget-per-requester", "scope": "requester", "per": "1h", "current": 20000.0, "adding": 90000.0, "max": 25000.0, "exceeded": true, "status": "exceeded", "class": "human_approved", "reason": "This requester issued more than $250 of credits in the last hour", "decisive": false}], "policy_version": "4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af", "explanation": "forbidden by huge-credits-forbidden: Credits above $500 are handled by the billing team"}}}', 'forbidden', 'forbidden by huge-credits-forbidden: Credits above $500 are handled by the billing team', '47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f', '4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af', 1796208581.3807926, 1796208581.3807926, NULL, NULL, NULL, NULL, 0, NULL, NULL);
INSERT INTO previous_release.steward_requests VALUES ('req_01a2365fdb1f8c85e1625ebe', 'cancel_subscription', 'billing_console', 'subscription', 'resolver-bot', NULL, '{"account_id": "ACC-000045"}', 'b7d2b01fdb5b14c45f7fd7ffef11cd60eba1fd30858026a5f87ff4539bbffd7c', '{"conversation_id": "conv-1", "customer_id": "CUST-1", "account_tier": "pro", "agent_confidence": 0.95, "metadata": {}}', 'denied', 'human_approved', '{"action": "cancel_subscription", "class": "human_approved", "default_class": "human_approved", "rules": [{"id": "cancellation-approval", "class": "human_approved", "reason": "Cancelling a subscription needs an operator''s approval", "relax": false, "decisive": true}], "limits": [], "policy_version": "4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af", "explanation": "human_approved by cancellation-approval: Cancelling a subscription needs an operator''s approval"}', NULL, '{"operator": "dana", "decision": "denied", "note": "not justified", "at": "2026-12-02T10:49:41.416Z"}', NULL, NULL, NULL, '47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f', '4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af', 1796208581.4075768, 1796208581.4202204, NULL, NULL, NULL, NULL, 0, NULL, NULL);


--
-- Name: audit_checkpoints audit_checkpoints_pkey; Type: CONSTRAINT; Schema: previous_release; Owner: -
--

ALTER TABLE ONLY previous_release.audit_checkpoints
    ADD CONSTRAINT audit_checkpoints_pkey PRIMARY KEY (size);


--
-- Name: audit_entries audit_entries_pkey; Type: CONSTRAINT; Schema: previous_release; Owner: -
--

ALTER TABLE ONLY previous_release.audit_entries
    ADD CONSTRAINT audit_entries_pkey PRIMARY KEY (seq);


--
-- Name: audit_tree_nodes audit_tree_nodes_pkey; Type: CONSTRAINT; Schema: previous_release; Owner: -
--

ALTER TABLE ONLY previous_release.audit_tree_nodes
    ADD CONSTRAINT audit_tree_nodes_pkey PRIMARY KEY (seq, level);


--
-- Name: steward_api_keys steward_api_keys_pkey; Type: CONSTRAINT; Schema: previous_release; Owner: -
--

ALTER TABLE ONLY previous_release.steward_api_keys
    ADD CONSTRAINT steward_api_keys_pkey PRIMARY KEY (name);


--
-- Name: steward_api_keys steward_api_keys_token_hash_key; Type: CONSTRAINT; Schema: previous_release; Owner: -
--

ALTER TABLE ONLY previous_release.steward_api_keys
    ADD CONSTRAINT steward_api_keys_token_hash_key UNIQUE (token_hash);


--
-- Name: steward_kill_switches steward_kill_switches_pkey; Type: CONSTRAINT; Schema: previous_release; Owner: -
--

ALTER TABLE ONLY previous_release.steward_kill_switches
    ADD CONSTRAINT steward_kill_switches_pkey PRIMARY KEY (scope);


--
-- Name: steward_requests steward_requests_pkey; Type: CONSTRAINT; Schema: previous_release; Owner: -
--

ALTER TABLE ONLY previous_release.steward_requests
    ADD CONSTRAINT steward_requests_pkey PRIMARY KEY (id);


--
-- Name: steward_requests uq_steward_requests_idempotency; Type: CONSTRAINT; Schema: previous_release; Owner: -
--

ALTER TABLE ONLY previous_release.steward_requests
    ADD CONSTRAINT uq_steward_requests_idempotency UNIQUE (requester, idempotency_key);


--
-- Name: ix_audit_entries_action_id; Type: INDEX; Schema: previous_release; Owner: -
--

CREATE INDEX ix_audit_entries_action_id ON previous_release.audit_entries USING btree (action_id);


--
-- Name: ix_audit_entries_type_ts; Type: INDEX; Schema: previous_release; Owner: -
--

CREATE INDEX ix_audit_entries_type_ts ON previous_release.audit_entries USING btree (type, ts);


--
-- Name: ix_steward_requests_state_queued; Type: INDEX; Schema: previous_release; Owner: -
--

CREATE INDEX ix_steward_requests_state_queued ON previous_release.steward_requests USING btree (state, queued_at);


--
-- Name: audit_checkpoints audit_checkpoints_append_only; Type: TRIGGER; Schema: previous_release; Owner: -
--

CREATE TRIGGER audit_checkpoints_append_only BEFORE INSERT ON previous_release.audit_checkpoints FOR EACH ROW EXECUTE FUNCTION previous_release.audit_checkpoints_guard();

ALTER TABLE previous_release.audit_checkpoints ENABLE ALWAYS TRIGGER audit_checkpoints_append_only;


--
-- Name: audit_checkpoints audit_checkpoints_no_change; Type: TRIGGER; Schema: previous_release; Owner: -
--

CREATE TRIGGER audit_checkpoints_no_change BEFORE DELETE OR UPDATE ON previous_release.audit_checkpoints FOR EACH ROW EXECUTE FUNCTION previous_release.audit_refuse_change();

ALTER TABLE previous_release.audit_checkpoints ENABLE ALWAYS TRIGGER audit_checkpoints_no_change;


--
-- Name: audit_checkpoints audit_checkpoints_no_truncate; Type: TRIGGER; Schema: previous_release; Owner: -
--

CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON previous_release.audit_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION previous_release.audit_refuse_change();

ALTER TABLE previous_release.audit_checkpoints ENABLE ALWAYS TRIGGER audit_checkpoints_no_truncate;


--
-- Name: audit_entries audit_entries_append_only; Type: TRIGGER; Schema: previous_release; Owner: -
--

CREATE TRIGGER audit_entries_append_only BEFORE INSERT ON previous_release.audit_entries FOR EACH ROW EXECUTE FUNCTION previous_release.audit_entries_guard();

ALTER TABLE previous_release.audit_entries ENABLE ALWAYS TRIGGER audit_entries_append_only;


--
-- Name: audit_entries audit_entries_no_change; Type: TRIGGER; Schema: previous_release; Owner: -
--

CREATE TRIGGER audit_entries_no_change BEFORE DELETE OR UPDATE ON previous_release.audit_entries FOR EACH ROW EXECUTE FUNCTION previous_release.audit_refuse_change();

ALTER TABLE previous_release.audit_entries ENABLE ALWAYS TRIGGER audit_entries_no_change;


--
-- Name: audit_entries audit_entries_no_truncate; Type: TRIGGER; Schema: previous_release; Owner: -
--

CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON previous_release.audit_entries FOR EACH STATEMENT EXECUTE FUNCTION previous_release.audit_refuse_change();

ALTER TABLE previous_release.audit_entries ENABLE ALWAYS TRIGGER audit_entries_no_truncate;


--
-- Name: audit_tree_nodes audit_tree_nodes_append_only; Type: TRIGGER; Schema: previous_release; Owner: -
--

CREATE TRIGGER audit_tree_nodes_append_only BEFORE INSERT ON previous_release.audit_tree_nodes FOR EACH ROW EXECUTE FUNCTION previous_release.audit_tree_nodes_guard();

ALTER TABLE previous_release.audit_tree_nodes ENABLE ALWAYS TRIGGER audit_tree_nodes_append_only;


--
-- Name: audit_tree_nodes audit_tree_nodes_no_change; Type: TRIGGER; Schema: previous_release; Owner: -
--

CREATE TRIGGER audit_tree_nodes_no_change BEFORE DELETE OR UPDATE ON previous_release.audit_tree_nodes FOR EACH ROW EXECUTE FUNCTION previous_release.audit_refuse_change();

ALTER TABLE previous_release.audit_tree_nodes ENABLE ALWAYS TRIGGER audit_tree_nodes_no_change;


--
-- Name: audit_tree_nodes audit_tree_nodes_no_truncate; Type: TRIGGER; Schema: previous_release; Owner: -
--

CREATE TRIGGER audit_tree_nodes_no_truncate BEFORE TRUNCATE ON previous_release.audit_tree_nodes FOR EACH STATEMENT EXECUTE FUNCTION previous_release.audit_refuse_change();

ALTER TABLE previous_release.audit_tree_nodes ENABLE ALWAYS TRIGGER audit_tree_nodes_no_truncate;


--
-- PostgreSQL database dump complete
--


