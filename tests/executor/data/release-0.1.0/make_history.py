"""Run with the previous release's code on PYTHONPATH: fills a database with a small history."""

import sys
from pathlib import Path

from executor.apikeys import KeyStore
from executor.config import DEFAULT_CATALOG_DIR, DEFAULT_POLICY_PATH, Settings
from executor.models import Confirmation, RequestContext, SubmitRequest
from executor.service import Steward

db, home = sys.argv[1], Path(sys.argv[2])
s = Steward(
    Settings(db_url=db, home=home, catalog_dir=DEFAULT_CATALOG_DIR, policy_path=DEFAULT_POLICY_PATH),
    loaded_by="release-0.1.0",
)
ctx = RequestContext(account_tier="pro", agent_confidence=0.95, customer_id="CUST-1", conversation_id="conv-1")
a, _ = s.submit(
    SubmitRequest(
        action="issue_credit",
        params={"account_id": "ACC-000042", "amount_cents": 20000, "reason": "Late parcel"},
        context=ctx,
        idempotency_key="k-1",
    ),
    "resolver-bot",
)
s.approve(a.id, "dana", "ok")
b, _ = s.submit(
    SubmitRequest(
        action="update_contact_email", params={"account_id": "ACC-000043", "new_email": "x@example.com"}, context=ctx
    ),
    "resolver-bot",
)
s.confirm(b.id, Confirmation(channel="chat", quote="yes", params_hash=b.params_hash), "agent:resolver-bot")
c, _ = s.submit(
    SubmitRequest(
        action="issue_credit",
        params={"account_id": "ACC-000044", "amount_cents": 90000, "reason": "Too much"},
        context=ctx,
    ),
    "resolver-bot",
)
d, _ = s.submit(
    SubmitRequest(action="cancel_subscription", params={"account_id": "ACC-000045"}, context=ctx), "resolver-bot"
)
s.reject(d.id, "dana", "not justified")
s.kill("global", "dana", "incident 7")
KeyStore(s.engine).create("resolver-bot", "agent")
s.checkpoint()
print(a.id, b.id, c.id, d.id, s.audit.size())
s.close()
