"""``steward bench policy``: how long a policy decision and a policy load take.

Three policies, each loaded from YAML against the shipped catalog the way
``steward serve`` loads one, then asked for decisions on varied requests:

- ``generated``: 1,000 rules for ``issue_credit`` of the kinds a large support
  operation accumulates: per-customer and per-account holds, per-agent limits
  and trusted-agent relaxations, per-market rules, and a tenth of general
  rules (amount thresholds with confidence, words in the reason) that no key
  can rule out. Target: p99 <= 0.5 ms.
- ``unindexed``: 1,000 general rules, none of which a key rules out: every
  condition is evaluated for every request (the worst case; no target).
- ``default``: the shipped ``policies/default.yaml``.

Each decision is also made by ``Policy.decide_reference`` (every rule, in
order), which must give the same Decision, or the same error, for every
request; its time is reported beside. Each scenario runs ``runs`` times
(decision times of the run with the lowest p99 are reported, all runs are
recorded) and the load time is the best of as many loads.
"""

from __future__ import annotations

import contextlib
import gc
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from action_classes import Action, Catalog, load_catalog
from benchmarks._machine import load_average, machine, now_utc, percentile
from executor.config import DEFAULT_CATALOG_DIR, DEFAULT_POLICY_PATH
from policies import Policy, PolicyInput, Rule, load_policy

__all__ = ["TARGET_P99_MS", "generated_rules", "run_policy_bench", "sample_requests", "summarize"]

TARGET_P99_MS = 0.5
_CUSTOMERS, _ACCOUNTS, _AGENTS = 2000, 2000, 100
_MARKETS = ["US", "CA", "GB", "IE", "FR", "DE", "ES", "IT", "NL", "BE", "SE", "NO", "DK", "FI", "PL", "PT", "AU",
            "NZ", "JP", "BR"]
_REASONS = ["late delivery", "damaged parcel", "goodwill gesture", "double charge", "service outage",
            "missing item", "chargeback threat", "price match"]
_TIERS = ["standard", "pro", "enterprise"]


def _general(rng: random.Random, i: int) -> dict[str, Any]:
    """A rule no key rules out: thresholds, confidence, words in the reason."""
    amount = rng.randrange(500, 90_000)
    kind = i % 4
    if kind == 0:
        when = (f"params.amount_cents > {amount} && (!has(context.agent_confidence)"
                f" || double(context.agent_confidence) < {rng.uniform(0.5, 0.95):.2f})")
    elif kind == 1:
        when = f'params.reason.contains("{rng.choice(_REASONS).split()[0]}") && params.amount_cents > {amount}'
    elif kind == 2:
        when = f"params.amount_cents > {amount} || params.reason.size() > {rng.randrange(150, 200)}"
    else:
        when = (f"params.amount_cents >= {amount} && params.amount_cents < {amount + 5000}"
                f' && !params.reason.startsWith("{rng.choice(_REASONS)}")')
    return {"when": when, "class": rng.choice(["customer_confirmed", "human_approved", "forbidden"])}


def _keyed(rng: random.Random, i: int) -> dict[str, Any]:
    """A rule with a key: one customer, account, agent or market."""
    amount = rng.randrange(100, 50_000)
    kind = rng.random()
    if kind < 0.35:  # customers under review, or with contract terms
        cus = f"cus-{rng.randrange(_CUSTOMERS // 2):05d}"
        return {"when": f'has(context.customer_id) && context.customer_id == "{cus}"'
                        f" && params.amount_cents > {amount}",
                "class": rng.choice(["human_approved", "forbidden"])}
    if kind < 0.55:  # disputed accounts
        return {"when": f'params.account_id == "ACC-{rng.randrange(1, _ACCOUNTS // 2):06d}"', "class": "forbidden"}
    if kind < 0.75:  # agents on probation
        return {"when": f'request.requester == "agent-{rng.randrange(_AGENTS):03d}"'
                        f" && params.amount_cents > {amount}", "class": "human_approved"}
    if kind < 0.85:  # trusted agents may go below the catalog default
        agents = ", ".join(f'"agent-{rng.randrange(_AGENTS):03d}"' for _ in range(3))
        return {"when": f"request.requester in [{agents}] && params.amount_cents <= {amount // 10}"
                        ' && has(context.account_tier) && context.account_tier != "enterprise"',
                "class": "autonomous", "relax": True}
    market = rng.choice(_MARKETS)
    return {"when": f'has(context.market) && context.market == "{market}" && params.amount_cents > {amount}',
            "class": rng.choice(["customer_confirmed", "human_approved"])}


def _specs(count: int, seed: int, general_share: float) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        spec = _general(rng, i) if rng.random() < general_share else _keyed(rng, i)
        out.append({"id": f"rule-{i:05d}", "action": "issue_credit", **spec, "reason": f"generated rule {i}"})
    return out


def generated_rules(count: int = 1000, *, seed: int = 7, general_share: float = 0.1) -> list[Rule]:
    """The generated policy's rules (``general_share`` of them without a key)."""
    return [Rule.model_validate(spec) for spec in _specs(count, seed, general_share)]


def sample_requests(action: Action, count: int, *, seed: int = 11) -> list[PolicyInput]:
    """Varied issue_credit requests: customers, accounts, agents, markets, tiers and amounts."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        context: dict[str, Any] = {
            "customer_id": f"cus-{rng.randrange(_CUSTOMERS):05d}",
            "conversation_id": f"conv-{rng.randrange(10**6)}",
            "account_tier": rng.choice(_TIERS),
            "market": rng.choice(_MARKETS),
            "metadata": {"channel": rng.choice(["chat", "email", "voice"]), "lang": "en"},
        }
        if rng.random() < 0.9:
            context["agent_confidence"] = round(rng.uniform(0.4, 1.0), 2)
        params = {"account_id": f"ACC-{rng.randrange(1, _ACCOUNTS):06d}",
                  "amount_cents": int(10 ** rng.uniform(2, 5)), "reason": rng.choice(_REASONS)}
        out.append(PolicyInput(action=action, params=params, context=context,
                               requester=f"agent-{rng.randrange(_AGENTS):03d}", usage=None))
    return out


def _outcome(decide: Callable[[PolicyInput], Any], pin: PolicyInput) -> Any:
    try:
        return decide(pin).model_dump()
    except Exception as exc:  # an error must be the same error both ways
        return ("error", type(exc).__name__, str(exc))


def _time_decisions(decide: Callable[[PolicyInput], Any], requests: list[PolicyInput], n: int) -> dict[str, float]:
    """Wall time per decision, and this thread's CPU time per decision (blind to waiting for a core)."""
    gc.collect()
    wall: list[float] = []
    cpu: list[float] = []
    for i in range(n):
        pin = requests[i % len(requests)]
        c0, t0 = time.thread_time(), time.perf_counter()
        with contextlib.suppress(Exception):  # a policy error is a decision too (reject): timed the same
            decide(pin)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    wall.sort()
    cpu.sort()
    return {"p50_ms": round(percentile(wall, 0.5), 4), "p95_ms": round(percentile(wall, 0.95), 4),
            "p99_ms": round(percentile(wall, 0.99), 4), "max_ms": round(wall[-1], 3),
            "cpu_p50_ms": round(percentile(cpu, 0.5), 4), "cpu_p99_ms": round(percentile(cpu, 0.99), 4)}


def _scenario(name: str, path: Path, catalog: Catalog, action: Action, requests: list[PolicyInput],
              decisions: int, runs: int, say: Callable[[str], None]) -> dict[str, Any]:
    loads: list[float] = []
    policy: Policy | None = None
    for _ in range(runs):
        t0 = time.perf_counter()
        policy = load_policy(path, catalog)
        loads.append((time.perf_counter() - t0) * 1000)
    assert policy is not None
    say(f"{name}: {len(policy.rules)} rules loaded in {min(loads):.0f} ms; checking against the reference...")
    same = all(_outcome(policy.decide, p) == _outcome(policy.decide_reference, p) for p in requests)
    decided = [_outcome(policy.decide, p) for p in requests]
    say(f"{name}: timing {decisions} decisions x {runs} runs...")
    timed = [_time_decisions(policy.decide, requests, decisions) for _ in range(runs)]
    best = min(timed, key=lambda r: r["p99_ms"])
    reference = _time_decisions(policy.decide_reference, requests, max(200, decisions // 5))
    return {
        "rules": len(policy.rules),
        "rules_for_action": policy.index.stats(action),
        "load_ms": round(min(loads), 1),
        "load_runs_ms": [round(x, 1) for x in loads],
        "decision": best,
        "decision_runs": timed,
        "reference_decision": reference,
        "same_as_reference": same,
        "requests": len(requests),
        "rules_matched_per_request": round(
            sum(len(d["rules"]) for d in decided if isinstance(d, dict)) / len(requests), 2),
        "policy_errors": sum(1 for d in decided if not isinstance(d, dict)),
    }


def run_policy_bench(
    *, rules: int = 1000, decisions: int = 3000, runs: int = 3, out: Path | None = Path("bench-results/policy.json"),
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run the three scenarios, write ``out`` (JSON) and return the results."""
    results: dict[str, Any] = {"benchmark": "policy_decision", "machine": machine(),
                               "target_p99_ms": TARGET_P99_MS, "at": now_utc()}
    catalog = load_catalog(DEFAULT_CATALOG_DIR)
    action = catalog.action("issue_credit")
    requests = sample_requests(action, 500)
    with tempfile.TemporaryDirectory(prefix="steward-bench-policy-") as tmp:
        files = {
            "generated": Path(tmp) / "generated.yaml",
            "unindexed": Path(tmp) / "unindexed.yaml",
            "default": DEFAULT_POLICY_PATH,
        }
        files["generated"].write_text(yaml.safe_dump({"rules": _specs(rules, 7, 0.1)}, sort_keys=False))
        files["unindexed"].write_text(yaml.safe_dump({"rules": _specs(rules, 7, 1.0)}, sort_keys=False))
        results["scenarios"] = {name: _scenario(name, path, catalog, action, requests, decisions, runs, say)
                                for name, path in files.items()}
    results["machine"]["load_average_at_end"] = load_average()
    generated = results["scenarios"]["generated"]
    results["pass"] = {"generated_p99": generated["decision"]["p99_ms"] <= TARGET_P99_MS,
                       "same_as_reference": all(s["same_as_reference"] for s in results["scenarios"].values())}
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return results


def summarize(results: dict[str, Any]) -> str:
    """The printed summary: one line per scenario."""
    lines = []
    for name, s in results["scenarios"].items():
        d, ref, st = s["decision"], s["reference_decision"], s["rules_for_action"]
        lines.append(
            f"{name:<10} {s['rules']:>5} rules ({st['indexed']} indexed, {st['always_evaluated']} always evaluated)"
            f"  decision p50 {d['p50_ms']:.3f} ms  p95 {d['p95_ms']:.3f}  p99 {d['p99_ms']:.3f}"
            f" (CPU p50 {d['cpu_p50_ms']:.3f}, p99 {d['cpu_p99_ms']:.3f})"
            f"  (every rule in order: p50 {ref['p50_ms']:.3f}, p99 {ref['p99_ms']:.3f})"
            f"  load {s['load_ms']:.0f} ms  same as reference: {s['same_as_reference']}"
        )
    m = results["machine"]
    lines.append(f"target: p99 <= {results['target_p99_ms']} ms for 'generated' -> "
                 f"{'met' if results['pass']['generated_p99'] else 'NOT met'}; "
                 f"{m.get('cpus')} CPUs ({m.get('cpu_model')}), load average {m.get('load_average_at_start')} "
                 f"at start, {m.get('load_average_at_end')} at end")
    return "\n".join(lines)
