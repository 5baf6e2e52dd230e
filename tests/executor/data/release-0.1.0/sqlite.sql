PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE audit_entries (
	seq INTEGER NOT NULL, 
	ts VARCHAR(32) NOT NULL, 
	type VARCHAR(100) NOT NULL, 
	action_id VARCHAR(200), 
	actor VARCHAR(200) NOT NULL, 
	payload TEXT NOT NULL, 
	prev_hash VARCHAR(64) NOT NULL, 
	hash VARCHAR(64) NOT NULL, 
	PRIMARY KEY (seq)
);
INSERT INTO audit_entries VALUES(0,'2026-12-02T10:47:50.055Z','catalog.loaded',NULL,'system:release-0.1.0','{"by":"release-0.1.0","files":["billing_console.yaml"],"previous":null,"summary":"1 targets, 4 actions: cancel_subscription, issue_credit, lookup_account, update_contact_email","version":"47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f"}','0000000000000000000000000000000000000000000000000000000000000000','8e21f2e3513cd3a481f0975ee9cd71c440fece27f779a4e8c630e71989233491');
INSERT INTO audit_entries VALUES(1,'2026-12-02T10:47:50.055Z','policy.loaded',NULL,'system:release-0.1.0','{"by":"release-0.1.0","previous":null,"summary":"6 rules, 2 limits: small-credits-autonomous, huge-credits-forbidden, enterprise-billing-approval, contact-change-confirmed, cancellation-approval, low-agent-confidence, credit-budget-hourly, credit-budget-per-requester","version":"4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af"}','8e21f2e3513cd3a481f0975ee9cd71c440fece27f779a4e8c630e71989233491','bf392844c4b62d92579acd56a26d89e4414f8f2388bd5dcef3e36e5016f73ad9');
INSERT INTO audit_entries VALUES(2,'2026-12-02T10:47:50.069Z','request.received','req_01a2365e283279422ae5372c','agent:resolver-bot','{"action":"issue_credit","catalog_version":"47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f","context":{"account_tier":"pro","agent_confidence":0.95,"conversation_id":"conv-1","customer_id":"CUST-1","metadata":{}},"idempotency_key":"k-1","params":{"account_id":"ACC-000042","amount_cents":20000,"reason":"Late parcel"},"params_hash":"663bddfe5286d2a4847f9295597a145df6c37c9e29fb64d9843430767b194492","requester":"resolver-bot","target":"billing_console"}','bf392844c4b62d92579acd56a26d89e4414f8f2388bd5dcef3e36e5016f73ad9','a6cdc241127e7befebe4d7a09b8b27a9fc82c656bd82a151fc104c90282f4225');
INSERT INTO audit_entries VALUES(3,'2026-12-02T10:47:50.071Z','policy.decided','req_01a2365e283279422ae5372c','agent:resolver-bot','{"class":"human_approved","default_class":"human_approved","explanation":"human_approved: the default class of issue_credit","limits":[{"adding":20000,"class":"human_approved","current":0,"decisive":false,"exceeded":false,"id":"credit-budget-hourly","max":100000,"per":"1h","reason":"More than $1000 of credits in the last hour","scope":"global","status":"ok"},{"adding":20000,"class":"human_approved","current":0,"decisive":false,"exceeded":false,"id":"credit-budget-per-requester","max":25000,"per":"1h","reason":"This requester issued more than $250 of credits in the last hour","scope":"requester","status":"ok"}],"policy_version":"4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af","rules":[]}','a6cdc241127e7befebe4d7a09b8b27a9fc82c656bd82a151fc104c90282f4225','ac5ce5df9e03ff1da01acb734f5dec4fd37d617b9def9e9fca1838ce3a587ea9');
INSERT INTO audit_entries VALUES(4,'2026-12-02T10:47:50.071Z','request.awaiting_approval','req_01a2365e283279422ae5372c','agent:resolver-bot','{"from":"received","reason":"human_approved: the default class of issue_credit","to":"awaiting_approval"}','ac5ce5df9e03ff1da01acb734f5dec4fd37d617b9def9e9fca1838ce3a587ea9','6ab827f8fb949e1c39e350803fe4a70ffc5364050c2d22329ab29f81ca22522a');
INSERT INTO audit_entries VALUES(5,'2026-12-02T10:47:50.078Z','approval.granted','req_01a2365e283279422ae5372c','operator:dana','{"note":"ok","operator":"dana","requester":"resolver-bot"}','6ab827f8fb949e1c39e350803fe4a70ffc5364050c2d22329ab29f81ca22522a','cf736d6a35ff53b733f1417c066d8c92977f8b69523af01ba8ec773c02e3a6ba');
INSERT INTO audit_entries VALUES(6,'2026-12-02T10:47:50.078Z','request.queued','req_01a2365e283279422ae5372c','operator:dana','{"from":"awaiting_approval","reason":"approved by dana: ok","to":"queued"}','cf736d6a35ff53b733f1417c066d8c92977f8b69523af01ba8ec773c02e3a6ba','12cdadc9393e1be101cc3ec59c24fd0ed7e6a14a09f345e6a9f0ce5cf63b0ff0');
INSERT INTO audit_entries VALUES(7,'2026-12-02T10:47:50.082Z','request.received','req_01a2365e2840b80dd4fb3701','agent:resolver-bot','{"action":"update_contact_email","catalog_version":"47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f","context":{"account_tier":"pro","agent_confidence":0.95,"conversation_id":"conv-1","customer_id":"CUST-1","metadata":{}},"idempotency_key":null,"params":{"account_id":"ACC-000043","new_email":"hmac-sha256:aa847ab9fc36533a29533f656e372a3a7b0ff1860cba907603cb4cdf1c27d8ab"},"params_hash":"84dfa1a5a0671e18b297c5c4082b62879f0074127bcea1106748d046b673a71c","requester":"resolver-bot","target":"billing_console"}','12cdadc9393e1be101cc3ec59c24fd0ed7e6a14a09f345e6a9f0ce5cf63b0ff0','585bda9991979a7566a860df15bd6216e41f1d3c82e9009555ab34d6a93d3967');
INSERT INTO audit_entries VALUES(8,'2026-12-02T10:47:50.082Z','policy.decided','req_01a2365e2840b80dd4fb3701','agent:resolver-bot','{"class":"customer_confirmed","default_class":"customer_confirmed","explanation":"customer_confirmed by contact-change-confirmed: The customer must confirm the new contact email","limits":[],"policy_version":"4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af","rules":[{"class":"customer_confirmed","decisive":true,"id":"contact-change-confirmed","reason":"The customer must confirm the new contact email","relax":false}]}','585bda9991979a7566a860df15bd6216e41f1d3c82e9009555ab34d6a93d3967','251f852e920bb0290b6b2cac2ec34a55b825d7ca868b4f884235a238b78aa507');
INSERT INTO audit_entries VALUES(9,'2026-12-02T10:47:50.083Z','request.awaiting_confirmation','req_01a2365e2840b80dd4fb3701','agent:resolver-bot','{"from":"received","reason":"customer_confirmed by contact-change-confirmed: The customer must confirm the new contact email","to":"awaiting_confirmation"}','251f852e920bb0290b6b2cac2ec34a55b825d7ca868b4f884235a238b78aa507','0bd4921852556dc9e69c3aded8d5313390069f4c0b6d85b3f0c1ff7d0f023824');
INSERT INTO audit_entries VALUES(10,'2026-12-02T10:47:50.086Z','confirmation.attached','req_01a2365e2840b80dd4fb3701','agent:resolver-bot','{"channel":"chat","confirmed_at":"2026-12-02T10:47:50.084Z","params_hash":"84dfa1a5a0671e18b297c5c4082b62879f0074127bcea1106748d046b673a71c","quote":"yes","reference":null}','0bd4921852556dc9e69c3aded8d5313390069f4c0b6d85b3f0c1ff7d0f023824','88ae31769b104da7a665a268b1f79b5d465b49a60e0b51a303b87dbf0d64b97a');
INSERT INTO audit_entries VALUES(11,'2026-12-02T10:47:50.087Z','request.queued','req_01a2365e2840b80dd4fb3701','agent:resolver-bot','{"from":"awaiting_confirmation","reason":"customer confirmed","to":"queued"}','88ae31769b104da7a665a268b1f79b5d465b49a60e0b51a303b87dbf0d64b97a','fd3bab9ae8832fa424a5cc7b504980d1be8988805f179300225e7b3ddab3915e');
INSERT INTO audit_entries VALUES(12,'2026-12-02T10:47:50.093Z','request.received','req_01a2365e284be94ccca2af76','agent:resolver-bot','{"action":"issue_credit","catalog_version":"47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f","context":{"account_tier":"pro","agent_confidence":0.95,"conversation_id":"conv-1","customer_id":"CUST-1","metadata":{}},"idempotency_key":null,"params":{"account_id":"ACC-000044","amount_cents":90000,"reason":"Too much"},"params_hash":"d46a269b390d31d2bc46fd50847108a023610c85a97998eeb275e5e825aa8355","requester":"resolver-bot","target":"billing_console"}','fd3bab9ae8832fa424a5cc7b504980d1be8988805f179300225e7b3ddab3915e','f34e2ad10d6ebb5796fbb01d373214f4f946842ccd1750debe1ba6a3995ac9f3');
INSERT INTO audit_entries VALUES(13,'2026-12-02T10:47:50.094Z','policy.decided','req_01a2365e284be94ccca2af76','agent:resolver-bot','{"class":"forbidden","default_class":"human_approved","explanation":"forbidden by huge-credits-forbidden: Credits above $500 are handled by the billing team","limits":[{"adding":90000,"class":"human_approved","current":20000,"decisive":false,"exceeded":true,"id":"credit-budget-hourly","max":100000,"per":"1h","reason":"More than $1000 of credits in the last hour","scope":"global","status":"exceeded"},{"adding":90000,"class":"human_approved","current":20000,"decisive":false,"exceeded":true,"id":"credit-budget-per-requester","max":25000,"per":"1h","reason":"This requester issued more than $250 of credits in the last hour","scope":"requester","status":"exceeded"}],"policy_version":"4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af","rules":[{"class":"forbidden","decisive":true,"id":"huge-credits-forbidden","reason":"Credits above $500 are handled by the billing team","relax":false}]}','f34e2ad10d6ebb5796fbb01d373214f4f946842ccd1750debe1ba6a3995ac9f3','9273b91c38e63f418ddaa746a94d7cff1fe373a02bda5def8ab561fa63ffddf3');
INSERT INTO audit_entries VALUES(14,'2026-12-02T10:47:50.094Z','request.rejected','req_01a2365e284be94ccca2af76','agent:resolver-bot','{"code":"forbidden","from":"received","reason":"forbidden by huge-credits-forbidden: Credits above $500 are handled by the billing team","to":"rejected"}','9273b91c38e63f418ddaa746a94d7cff1fe373a02bda5def8ab561fa63ffddf3','eb14c8b9a9bb7bdcd31197414607bd7d0750740741f8eccdc56a35db0d6fbb44');
INSERT INTO audit_entries VALUES(15,'2026-12-02T10:47:50.114Z','request.received','req_01a2365e2861aed0c74f8ec2','agent:resolver-bot','{"action":"cancel_subscription","catalog_version":"47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f","context":{"account_tier":"pro","agent_confidence":0.95,"conversation_id":"conv-1","customer_id":"CUST-1","metadata":{}},"idempotency_key":null,"params":{"account_id":"ACC-000045"},"params_hash":"b7d2b01fdb5b14c45f7fd7ffef11cd60eba1fd30858026a5f87ff4539bbffd7c","requester":"resolver-bot","target":"billing_console"}','eb14c8b9a9bb7bdcd31197414607bd7d0750740741f8eccdc56a35db0d6fbb44','a1536ea574ccc6e871b3c6538f443b7c56cc589cc2206b5f460ca49840d0ac69');
INSERT INTO audit_entries VALUES(16,'2026-12-02T10:47:50.115Z','policy.decided','req_01a2365e2861aed0c74f8ec2','agent:resolver-bot','{"class":"human_approved","default_class":"human_approved","explanation":"human_approved by cancellation-approval: Cancelling a subscription needs an operator''s approval","limits":[],"policy_version":"4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af","rules":[{"class":"human_approved","decisive":true,"id":"cancellation-approval","reason":"Cancelling a subscription needs an operator''s approval","relax":false}]}','a1536ea574ccc6e871b3c6538f443b7c56cc589cc2206b5f460ca49840d0ac69','fad8263d9ce29f27bd7438a4633fa397c0fb43e892d89c8a1f1ee933d6cf04f4');
INSERT INTO audit_entries VALUES(17,'2026-12-02T10:47:50.115Z','request.awaiting_approval','req_01a2365e2861aed0c74f8ec2','agent:resolver-bot','{"from":"received","reason":"human_approved by cancellation-approval: Cancelling a subscription needs an operator''s approval","to":"awaiting_approval"}','fad8263d9ce29f27bd7438a4633fa397c0fb43e892d89c8a1f1ee933d6cf04f4','fc302f8050284baa5829a8752f721115043ca2e41267f1f49e86f4990669e454');
INSERT INTO audit_entries VALUES(18,'2026-12-02T10:47:50.119Z','approval.denied','req_01a2365e2861aed0c74f8ec2','operator:dana','{"note":"not justified","operator":"dana","requester":"resolver-bot"}','fc302f8050284baa5829a8752f721115043ca2e41267f1f49e86f4990669e454','d2f67f3269b2017ec692e72ec0ebcceed1f9aff8573c92df5ca943da03481fcb');
INSERT INTO audit_entries VALUES(19,'2026-12-02T10:47:50.119Z','request.denied','req_01a2365e2861aed0c74f8ec2','operator:dana','{"from":"awaiting_approval","reason":"denied by dana: not justified","to":"denied"}','d2f67f3269b2017ec692e72ec0ebcceed1f9aff8573c92df5ca943da03481fcb','4e5d512dbad9b9b6331ff666d54818252311f608a88e45c0229eb0e2319dca1d');
INSERT INTO audit_entries VALUES(20,'2026-12-02T10:47:50.128Z','killswitch.engaged',NULL,'operator:dana','{"operator":"dana","reason":"incident 7","scope":"global"}','4e5d512dbad9b9b6331ff666d54818252311f608a88e45c0229eb0e2319dca1d','abe166d05d539f56e5456ee3c4b75e82cb1984e356e191bcee35e955521e9d24');
CREATE TABLE audit_tree_nodes (
	seq BIGINT NOT NULL, 
	level SMALLINT NOT NULL, 
	hash BLOB NOT NULL, 
	PRIMARY KEY (seq, level)
)
 WITHOUT ROWID

;
INSERT INTO audit_tree_nodes VALUES(1,1,X'527db801a01a7b0f3576092447e659549c32d37f65b42ad613825541ca26f93a');
INSERT INTO audit_tree_nodes VALUES(3,1,X'0c79f34b8562805946932ac28d1de4f99584745b14242bfbebb03be2f13041d2');
INSERT INTO audit_tree_nodes VALUES(3,2,X'73b248a97785363c6353f549c1e0e287f171be314daa5aec8612121f5fb43c7f');
INSERT INTO audit_tree_nodes VALUES(5,1,X'fec820d0a908dd88367d92e4725662cc6c9da61bb359f97635d92875a1003c8f');
INSERT INTO audit_tree_nodes VALUES(7,1,X'7cc5f0a66e9579e98c8d733745f3bb313904baa6a23a97142fe9173d2131a39c');
INSERT INTO audit_tree_nodes VALUES(7,2,X'e7b3464a446ea58cd28a2901366a3ef9b0af645ea6c73df4d5b4be6c28d6e145');
INSERT INTO audit_tree_nodes VALUES(7,3,X'2bd82f01db51626ae2a0e32793213019c53e582ab954a32c1cd70c9b9487f3b8');
INSERT INTO audit_tree_nodes VALUES(9,1,X'672c03a6141afba6598831a89f9a7a56925e8257c745b7d521dc761fdfb1d1f6');
INSERT INTO audit_tree_nodes VALUES(11,1,X'943f934ad18309241ce6344d6163108bc4af83dc47f6a8fde8176315e3f41eb0');
INSERT INTO audit_tree_nodes VALUES(11,2,X'713a4def01745c66c18e45a9d72a5d36d19eea64a88d2dacb1acf3086d365d75');
INSERT INTO audit_tree_nodes VALUES(13,1,X'1ce0b99e729e7fc53a5acf9d08bdaff42fe537d9aa8af9f2ee457549b3727882');
INSERT INTO audit_tree_nodes VALUES(15,1,X'6b13c9d8727abac2e2fd4db7da8b0cdebcf39ac2defd37b1d78d1aa53632b570');
INSERT INTO audit_tree_nodes VALUES(15,2,X'b29b6a0adca8d0101499540d347a07f485caf7e5132c36118a080d39625fcd9b');
INSERT INTO audit_tree_nodes VALUES(15,3,X'1a34faf0a299dd269823c43fbc2281c44f8f812df537721f8b715dd650d1e7a6');
INSERT INTO audit_tree_nodes VALUES(15,4,X'3d0e4c1d6bfcc132415f35866971dee9e4f8d2acee362632ba8a746c5912783c');
INSERT INTO audit_tree_nodes VALUES(17,1,X'7e111ad7dd24ed06534a533e0f3367ff419524ad6cec4d03a12e03e40d45991d');
INSERT INTO audit_tree_nodes VALUES(19,1,X'af14b07b886f04e6171e2e9f933ef13b3c551ff959cf13f0aeb3ba7311fe1864');
INSERT INTO audit_tree_nodes VALUES(19,2,X'be9bd4cf049db5558a998a345d0c5d4a83d24e34c57af6c351a5fac7215a0498');
CREATE TABLE audit_checkpoints (
	size INTEGER NOT NULL, 
	root VARCHAR(64) NOT NULL, 
	origin TEXT NOT NULL, 
	signed_at VARCHAR(32) NOT NULL, 
	note TEXT NOT NULL, 
	PRIMARY KEY (size)
);
INSERT INTO audit_checkpoints VALUES(15,'94ba316d8b970a7fd701c3be07baded3365f6502e163752f66048bc0387c8636','steward.local/audit','2026-12-02T10:47:50.107Z',replace('steward.local/audit\n15\nlLoxbYuXCn/XAcO+B7re0zZfZQLhY3UvZgSLwDh8hjY=\n\n— steward-audit 2dw434TX7tqMu4/BTvfVg4yK2tA12w6iA7r2a0TB8kmHZe/AJArn1fg/MwxFw13+79vUtumCezKMnf54bKAfte8qlQY=\n','\n',char(10)));
INSERT INTO audit_checkpoints VALUES(20,'11bc542cf1a88ab038dad650a4d0cb942ee0cc76e02215284902217a2b8db998','steward.local/audit','2026-12-02T10:47:50.123Z',replace('steward.local/audit\n20\nEbxULPGoirA42tZQpNDLlC7gzHbgIhUoSQIheiuNuZg=\n\n— steward-audit 2dw437Hii3ZXB77QehwmLprC5phXWeRYMhDokXYJiI1CDqwLZCkLfi7EeS2DgfZmMUn9EDdTGFXjzvQv3VvBJAwWHQI=\n','\n',char(10)));
INSERT INTO audit_checkpoints VALUES(21,'c9c54e53e405adec9fe59fda87462db17303b680f3ae05248a726b48b957ef45','steward.local/audit','2026-12-02T10:47:50.135Z',replace('steward.local/audit\n21\nycVOU+QFreyf5Z/ah0YtsXMDtoDzrgUkinJrSLlX70U=\n\n— steward-audit 2dw4392yuUi6dgxT4TqqLxK7IGbMrN0HY9DXd9W/BIEpUISs36fg60d6jskUO73ze4BrTLsfo0ciw3V8l53f04kF9wE=\n','\n',char(10)));
CREATE TABLE steward_requests (
	id VARCHAR(40) NOT NULL, 
	action VARCHAR(64) NOT NULL, 
	target VARCHAR(64), 
	category VARCHAR(64), 
	requester VARCHAR(200) NOT NULL, 
	idempotency_key VARCHAR(200), 
	params JSON, 
	params_hash VARCHAR(64), 
	context JSON NOT NULL, 
	state VARCHAR(32) NOT NULL, 
	action_class VARCHAR(32), 
	decision JSON, 
	confirmation JSON, 
	approval JSON, 
	outcome JSON, 
	error_code VARCHAR(64), 
	error_message TEXT, 
	catalog_version VARCHAR(64), 
	policy_version VARCHAR(64), 
	created_at FLOAT NOT NULL, 
	updated_at FLOAT NOT NULL, 
	expires_at FLOAT, 
	queued_at FLOAT, 
	lease_owner VARCHAR(100), 
	lease_expires_at FLOAT, 
	attempts INTEGER NOT NULL, 
	commit_started_at FLOAT, 
	commit_done_at FLOAT, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_steward_requests_idempotency UNIQUE (requester, idempotency_key)
);
INSERT INTO steward_requests VALUES('req_01a2365e283279422ae5372c','issue_credit','billing_console','billing','resolver-bot','k-1','{"account_id": "ACC-000042", "amount_cents": 20000, "reason": "Late parcel"}','663bddfe5286d2a4847f9295597a145df6c37c9e29fb64d9843430767b194492','{"conversation_id": "conv-1", "customer_id": "CUST-1", "account_tier": "pro", "agent_confidence": 0.95, "metadata": {}}','queued','human_approved','{"action": "issue_credit", "class": "human_approved", "default_class": "human_approved", "rules": [], "limits": [{"id": "credit-budget-hourly", "scope": "global", "per": "1h", "current": 0.0, "adding": 20000.0, "max": 100000.0, "exceeded": false, "status": "ok", "class": "human_approved", "reason": "More than $1000 of credits in the last hour", "decisive": false}, {"id": "credit-budget-per-requester", "scope": "requester", "per": "1h", "current": 0.0, "adding": 20000.0, "max": 25000.0, "exceeded": false, "status": "ok", "class": "human_approved", "reason": "This requester issued more than $250 of credits in the last hour", "decisive": false}], "policy_version": "4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af", "explanation": "human_approved: the default class of issue_credit"}',NULL,'{"operator": "dana", "decision": "approved", "note": "ok", "at": "2026-12-02T10:47:50.074Z"}',NULL,NULL,NULL,'47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f','4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af',1796208470.0669889449,1796208470.076255083,NULL,1796208470.076255083,NULL,NULL,0,NULL,NULL);
INSERT INTO steward_requests VALUES('req_01a2365e2840b80dd4fb3701','update_contact_email','billing_console','contact','resolver-bot',NULL,'{"account_id": "ACC-000043", "new_email": "x@example.com"}','84dfa1a5a0671e18b297c5c4082b62879f0074127bcea1106748d046b673a71c','{"conversation_id": "conv-1", "customer_id": "CUST-1", "account_tier": "pro", "agent_confidence": 0.95, "metadata": {}}','queued','customer_confirmed','{"action": "update_contact_email", "class": "customer_confirmed", "default_class": "customer_confirmed", "rules": [{"id": "contact-change-confirmed", "class": "customer_confirmed", "reason": "The customer must confirm the new contact email", "relax": false, "decisive": true}], "limits": [], "policy_version": "4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af", "explanation": "customer_confirmed by contact-change-confirmed: The customer must confirm the new contact email"}','{"channel": "chat", "quote": "yes", "reference": null, "confirmed_at": "2026-12-02T10:47:50.084Z", "params_hash": "84dfa1a5a0671e18b297c5c4082b62879f0074127bcea1106748d046b673a71c"}',NULL,NULL,NULL,NULL,'47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f','4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af',1796208470.0807139873,1796208470.0850887298,NULL,1796208470.0850887298,NULL,NULL,0,NULL,NULL);
INSERT INTO steward_requests VALUES('req_01a2365e284be94ccca2af76','issue_credit','billing_console','billing','resolver-bot',NULL,'{"account_id": "ACC-000044", "amount_cents": 90000, "reason": "Too much"}','d46a269b390d31d2bc46fd50847108a023610c85a97998eeb275e5e825aa8355','{"conversation_id": "conv-1", "customer_id": "CUST-1", "account_tier": "pro", "agent_confidence": 0.95, "metadata": {}}','rejected','forbidden','{"action": "issue_credit", "class": "forbidden", "default_class": "human_approved", "rules": [{"id": "huge-credits-forbidden", "class": "forbidden", "reason": "Credits above $500 are handled by the billing team", "relax": false, "decisive": true}], "limits": [{"id": "credit-budget-hourly", "scope": "global", "per": "1h", "current": 20000.0, "adding": 90000.0, "max": 100000.0, "exceeded": true, "status": "exceeded", "class": "human_approved", "reason": "More than $1000 of credits in the last hour", "decisive": false}, {"id": "credit-budget-per-requester", "scope": "requester", "per": "1h", "current": 20000.0, "adding": 90000.0, "max": 25000.0, "exceeded": true, "status": "exceeded", "class": "human_approved", "reason": "This requester issued more than $250 of credits in the last hour", "decisive": false}], "policy_version": "4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af", "explanation": "forbidden by huge-credits-forbidden: Credits above $500 are handled by the billing team"}',NULL,NULL,'{"details": {"decision": {"action": "issue_credit", "class": "forbidden", "default_class": "human_approved", "rules": [{"id": "huge-credits-forbidden", "class": "forbidden", "reason": "Credits above $500 are handled by the billing team", "relax": false, "decisive": true}], "limits": [{"id": "credit-budget-hourly", "scope": "global", "per": "1h", "current": 20000.0, "adding": 90000.0, "max": 100000.0, "exceeded": true, "status": "exceeded", "class": "human_approved", "reason": "More than $1000 of credits in the last hour", "decisive": false}, {"id": "credit-budget-per-requester", "scope": "requester", "per": "1h", "current": 20000.0, "adding": 90000.0, "max": 25000.0, "exceeded": true, "status": "exceeded", "class": "human_approved", "reason": "This requester issued more than $250 of credits in the last hour", "decisive": false}], "policy_version": "4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af", "explanation": "forbidden by huge-credits-forbidden: Credits above $500 are handled by the billing team"}}}','forbidden','forbidden by huge-credits-forbidden: Credits above $500 are handled by the billing team','47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f','4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af',1796208470.0915906428,1796208470.0915906428,NULL,NULL,NULL,NULL,0,NULL,NULL);
INSERT INTO steward_requests VALUES('req_01a2365e2861aed0c74f8ec2','cancel_subscription','billing_console','subscription','resolver-bot',NULL,'{"account_id": "ACC-000045"}','b7d2b01fdb5b14c45f7fd7ffef11cd60eba1fd30858026a5f87ff4539bbffd7c','{"conversation_id": "conv-1", "customer_id": "CUST-1", "account_tier": "pro", "agent_confidence": 0.95, "metadata": {}}','denied','human_approved','{"action": "cancel_subscription", "class": "human_approved", "default_class": "human_approved", "rules": [{"id": "cancellation-approval", "class": "human_approved", "reason": "Cancelling a subscription needs an operator''s approval", "relax": false, "decisive": true}], "limits": [], "policy_version": "4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af", "explanation": "human_approved by cancellation-approval: Cancelling a subscription needs an operator''s approval"}',NULL,'{"operator": "dana", "decision": "denied", "note": "not justified", "at": "2026-12-02T10:47:50.116Z"}',NULL,NULL,NULL,'47b6f35dc25f2d3a6359ae487680b9ed1403cf41aef60ccade01210d25192c3f','4332f6484eb395466a9304f6d5489abb7337134fa4106d24802b15f1aac864af',1796208470.1135382652,1796208470.1178884505,NULL,NULL,NULL,NULL,0,NULL,NULL);
CREATE TABLE steward_kill_switches (
	scope VARCHAR(200) NOT NULL, 
	operator VARCHAR(200) NOT NULL, 
	reason TEXT NOT NULL, 
	engaged_at FLOAT NOT NULL, 
	PRIMARY KEY (scope)
);
INSERT INTO steward_kill_switches VALUES('global','dana','incident 7',1796208470.1266818046);
CREATE TABLE steward_api_keys (
	name VARCHAR(100) NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	token_hash VARCHAR(64) NOT NULL, 
	created_at FLOAT NOT NULL, 
	revoked_at FLOAT, 
	PRIMARY KEY (name), 
	UNIQUE (token_hash)
);
INSERT INTO steward_api_keys VALUES('resolver-bot','agent','09e29bd6686ccb95a86cacfe58605860d56f81684dcba396f5f600f21ca0393e',1796208470.1310927867,NULL);
CREATE INDEX ix_audit_entries_type_ts ON audit_entries (type, ts);
CREATE INDEX ix_audit_entries_action_id ON audit_entries (action_id);
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: DELETE refused'); END;
CREATE TRIGGER audit_entries_append_only BEFORE INSERT ON audit_entries WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq) + 1, 0) FROM audit_entries) OR NEW.prev_hash IS NOT COALESCE((SELECT hash FROM audit_entries WHERE seq = NEW.seq - 1), '0000000000000000000000000000000000000000000000000000000000000000') BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: seq must be max(seq)+1 and prev_hash must link'); END;
CREATE TRIGGER audit_tree_nodes_no_update BEFORE UPDATE ON audit_tree_nodes BEGIN SELECT RAISE(ABORT, 'audit_tree_nodes is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_tree_nodes_no_delete BEFORE DELETE ON audit_tree_nodes BEGIN SELECT RAISE(ABORT, 'audit_tree_nodes is append-only: DELETE refused'); END;
CREATE TRIGGER audit_tree_nodes_append_only BEFORE INSERT ON audit_tree_nodes WHEN EXISTS (SELECT 1 FROM audit_tree_nodes WHERE (seq, level) >= (NEW.seq, NEW.level)) OR NOT EXISTS (SELECT 1 FROM audit_entries WHERE seq = NEW.seq) BEGIN SELECT RAISE(ABORT, 'audit_tree_nodes is append-only: nodes are added in order, for existing entries'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: DELETE refused'); END;
CREATE TRIGGER audit_checkpoints_append_only BEFORE INSERT ON audit_checkpoints WHEN NEW.size <= (SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints) OR NEW.size > (SELECT COALESCE(MAX(seq) + 1, 0) FROM audit_entries) BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: sizes must grow and not exceed the log'); END;
CREATE INDEX ix_steward_requests_state_queued ON steward_requests (state, queued_at);
COMMIT;
