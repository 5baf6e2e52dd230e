"""``steward bench vs-raw``: Steward next to a plain Playwright script, action by action.

For every action of the shipped catalogs, on both fixtures (billing console
with zero save delay, stock Django orders admin), it interleaves Steward
(submit to terminal, autonomous, in-process worker) with the hand-written
scripts of :mod:`benchmarks.raw_flows` in three modes:

* (a) one warm, signed-in page kept open;
* (b) a fresh context per action from saved storage state;
* (c) launch the browser and log in per action.

Then it measures throughput (actions per minute, and CPU per action of the
client process and its own browser) at concurrency 1, 2 and 4, Steward
against raw mode (b), each concurrent raw action on a login session of its own
(as Steward's pool does). Every figure sits beside the load average.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks._machine import load_average, machine, now_utc
from benchmarks.raw_flows import FLOWS, LOGINS

__all__ = ["markdown", "run_vs_raw_bench"]

SIDES = ("steward", "a", "b", "c")
TARGETS = {"ratio_b": 1.10, "ratio_a": 1.5, "throughput_vs_b": 0.9}
_CLOCK_TICK = os.sysconf("SC_CLK_TCK")


# -- CPU of a process tree -------------------------------------------------------


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, CPU ticks incl. reaped children) of a live process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), sum(int(x) for x in fields[11:15])


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))) is not None and st[0] == pid:
            found.add(int(entry))
    return found


def _tree_cpu_s(root: int) -> float:
    """CPU seconds of ``root`` and its live descendants (exited ones count once their parent reaped them)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))) is not None:
            parents[int(entry)], ticks[int(entry)] = st
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total / _CLOCK_TICK


def _own_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


# -- what each side runs ---------------------------------------------------------


class _Records:
    """Fresh parameters per run, from records each action may use (cancellations use each record once)."""

    def __init__(self, billing_db: Any, orders_db: Any) -> None:
        active = [a.id for a in billing_db.accounts() if a.status.lower() == "active"]
        orders = orders_db.orders()
        open_orders = [o.number for o in orders if o.status.lower() in ("placed", "paid")]
        self._accounts = itertools.cycle(active[:40])
        self._to_cancel = iter(reversed(active[40:]))
        self._addresses = itertools.cycle(open_orders[:6])
        self._orders_to_cancel = iter(reversed(open_orders[6:]))
        refundable = ("paid", "shipped", "delivered")
        self._refundable = itertools.cycle(
            [o.number for o in orders if o.status.lower() in refundable and o.refundable_cents > 500]
        )
        self._shippable = itertools.cycle([o.number for o in orders if o.status.lower() in ("paid", "shipped")])
        self._any_order = itertools.cycle([o.number for o in orders])
        self._n = itertools.count(1)

    def params(self, action: str) -> dict[str, Any]:
        n = next(self._n)
        token = f"B{n:05d}{secrets.token_hex(3).upper()}"
        makers: dict[str, Callable[[], dict[str, Any]]] = {
            "lookup_account": lambda: {"account_id": next(self._accounts)},
            "issue_credit": lambda: {"account_id": next(self._accounts), "amount_cents": 100 + n % 900,
                                     "reason": f"bench {token}"},
            "update_contact_email": lambda: {"account_id": next(self._accounts),
                                             "new_email": f"bench.{token.lower()}@example.com"},
            "cancel_subscription": lambda: {"account_id": next(self._to_cancel)},
            "lookup_order": lambda: {"order_number": next(self._any_order)},
            "refund_order": lambda: {"order_number": next(self._refundable), "amount_cents": 1,
                                     "reason": f"bench {token}", "reference": token},
            "change_shipping_address": lambda: {
                "order_number": next(self._addresses), "recipient": f"Bench {token}", "address_line1": "1 Test Way",
                "address_line2": "", "city": "Leeds", "postcode": "LS1 4AP", "country": "GB"},
            "cancel_order": lambda: {"order_number": next(self._orders_to_cancel)},
            "add_internal_note": lambda: {"order_number": next(self._any_order), "body": f"bench note {token}"},
            "create_shipment": lambda: {"order_number": next(self._shippable), "carrier": "dhl",
                                        "tracking_number": f"BT{token}", "ship_date": "2026-11-30"},
        }
        return makers[action]()


def _for_steward(action: str, params: dict[str, Any]) -> dict[str, Any]:
    """The raw scripts name their own markers; Steward writes its request reference instead."""
    return {k: v for k, v in params.items() if not (action == "refund_order" and k == "reference")}


def _bench_policy(folder: Path, actions: list[str]) -> Path:
    """Every action autonomous: the benchmark measures execution, not waiting for people."""
    rules = [
        {"id": f"bench-{name}", "action": name, "when": "true", "class": "autonomous", "relax": True,
         "reason": "benchmark: no human in the loop"}
        for name in actions
    ]
    path = folder / "bench-policy.yaml"
    path.write_text(json.dumps({"rules": rules}))
    return path


class _Bench:
    def __init__(
        self, steward: Any, catalog_targets: dict[str, Any], accounts: dict[str, tuple[str, str, str]]
    ) -> None:
        self.steward = steward
        self.targets = catalog_targets  # action -> target name
        self.accounts = accounts  # target -> (base url, user, password)
        self.states: dict[str, Any] = {}
        self.warm: dict[str, Any] = {}

    async def start(self) -> None:
        from playwright.async_api import async_playwright

        from executor.browser.launch import find_chromium
        from executor.browser.playwright_driver import PlaywrightDriver
        from executor.worker import Worker

        before = _children(os.getpid())
        self.driver = PlaywrightDriver()
        await self.driver.start()
        self.steward_tree = _children(os.getpid()) - before
        self.worker = Worker(self.steward, self.driver, concurrency=1)
        self.worker_task = asyncio.create_task(self.worker.run())
        before = _children(os.getpid())
        self.pw = await async_playwright().start()
        self.raw_tree = _children(os.getpid()) - before
        self.chromium = find_chromium()
        self.args = ["--no-sandbox"] if os.geteuid() == 0 else []
        self.browser = await self.pw.chromium.launch(executable_path=self.chromium, args=self.args)
        for target, (base, user, password) in self.accounts.items():
            ctx = await self.browser.new_context()
            page = await ctx.new_page()
            await LOGINS[target](page, base, user, password)
            self.states[target] = await ctx.storage_state()
            self.warm[target] = page

    async def close(self) -> None:
        self.worker.stop()
        await self.worker_task
        await self.driver.close()
        await self.browser.close()
        await self.pw.stop()

    async def steward_run(self, action: str, params: dict[str, Any]) -> None:
        from executor.models import RequestContext, SubmitRequest

        body = SubmitRequest(action=action, params=_for_steward(action, params),
                             context=RequestContext(account_tier="pro", agent_confidence=0.95))
        rec, _ = await asyncio.to_thread(self.steward.submit, body, "bench-agent")
        # The worker runs in this loop: await its task for the request (polling the database per waiter would
        # cost the Steward side CPU no real client spends), then read the outcome once.
        deadline = time.monotonic() + 300
        while True:
            task = self.worker.running.get(rec.id)
            if task is not None:
                await asyncio.wait([task], timeout=300)
                break
            if rec.id in self.worker.recent:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{action} through Steward was not claimed within 300 s ({rec.id})")
            await asyncio.sleep(0.001)
        rec = await asyncio.to_thread(self.steward.get, rec.id)
        if rec.state.value != "succeeded":
            raise RuntimeError(f"{action} through Steward ended {rec.state.value}: {rec.error_message}")

    async def sign_in(self, target: str) -> Any:
        """A new login session on ``target``: its storage state."""
        base, user, password = self.accounts[target]
        ctx = await self.browser.new_context()
        try:
            await LOGINS[target](await ctx.new_page(), base, user, password)
            return await ctx.storage_state()
        finally:
            await ctx.close()

    async def raw_run(self, mode: str, action: str, params: dict[str, Any], state: Any = None) -> None:
        target = self.targets[action]
        base, user, password = self.accounts[target]
        flow = FLOWS[action]
        if mode == "a":
            await flow(self.warm[target], base, params)
        elif mode == "b":
            ctx = await self.browser.new_context(storage_state=state or self.states[target])
            try:
                await flow(await ctx.new_page(), base, params)
            finally:
                await ctx.close()
        else:
            browser = await self.pw.chromium.launch(executable_path=self.chromium, args=self.args)
            try:
                page = await browser.new_page()
                await LOGINS[target](page, base, user, password)
                await flow(page, base, params)
            finally:
                await browser.close()

    async def one(self, side: str, action: str, params: dict[str, Any]) -> float:
        t0 = time.perf_counter()
        if side == "steward":
            await self.steward_run(action, params)
        else:
            await self.raw_run(side, action, params)
        return (time.perf_counter() - t0) * 1000

    async def throughput(self, side: str, jobs: list[tuple[str, dict[str, Any]]], concurrency: int) -> dict[str, Any]:
        """Run ``jobs`` at ``concurrency``: actions per minute and CPU ms per action (client and its browser)."""
        from executor.worker import Worker

        tree = self.steward_tree if side == "steward" else self.raw_tree
        # One login session per concurrent raw action, as Steward's pool holds: the fixtures' one-time flash
        # messages live in the server-side session, and a page of one action would take another's.
        slots: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        if side != "steward":
            for _ in range(concurrency):
                await slots.put({t: await self.sign_in(t) for t in self.accounts})
        cpu0 = _own_cpu_s() + sum(_tree_cpu_s(pid) for pid in tree)
        t0 = time.perf_counter()
        if side == "steward":
            self.worker.stop()
            await self.worker_task
            self.worker = Worker(self.steward, self.driver, concurrency=concurrency)
            self.worker_task = asyncio.create_task(self.worker.run())
            await asyncio.gather(*(self.steward_run(a, p) for a, p in jobs))
        else:

            async def job(action: str, params: dict[str, Any]) -> None:
                states = await slots.get()
                try:
                    await self.raw_run("b", action, params, states[self.targets[action]])
                finally:
                    slots.put_nowait(states)

            await asyncio.gather(*(job(a, p) for a, p in jobs))
        seconds = time.perf_counter() - t0
        cpu = _own_cpu_s() + sum(_tree_cpu_s(pid) for pid in tree) - cpu0
        return {"per_minute": round(len(jobs) / seconds * 60, 1), "cpu_ms_per_action": round(cpu / len(jobs) * 1000, 1)}


async def _measure(bench: _Bench, records: _Records, actions: list[str], runs: int, levels: list[int],
                   per_level: int, say: Callable[[str], None]) -> dict[str, Any]:
    await bench.start()
    try:
        times: dict[str, dict[str, list[float]]] = {a: {s: [] for s in SIDES} for a in actions}
        for action in actions:
            for i in range(runs + 1):  # round 0 warms each side up and is not counted
                order = SIDES[i % 4:] + SIDES[: i % 4]
                for side in order:
                    ms = await bench.one(side, action, records.params(action))
                    if i:
                        times[action][side].append(ms)
            medians = {s: statistics.median(v) for s, v in times[action].items()}
            say(f"  {action:24s} steward {medians['steward']:7.0f} ms | raw a {medians['a']:6.0f} "
                f"b {medians['b']:6.0f} c {medians['c']:6.0f} | steward/b {medians['steward'] / medians['b']:.2f}")
        interleaved_until = _iso_now()  # later requests queue behind each other on purpose
        throughput: dict[str, Any] = {}
        mix = ["issue_credit", "add_internal_note"]
        for level in levels:
            row: dict[str, Any] = {}
            for side in ("b", "steward"):
                jobs = [(mix[k % 2], records.params(mix[k % 2])) for k in range(per_level)]
                row["raw_b" if side == "b" else "steward"] = await bench.throughput(side, jobs, level)
            row["ratio"] = round(row["steward"]["per_minute"] / row["raw_b"]["per_minute"], 2)
            row["met"] = row["ratio"] >= TARGETS["throughput_vs_b"]
            throughput[str(level)] = row
            say(f"  concurrency {level}: steward {row['steward']['per_minute']}/min "
                f"({row['steward']['cpu_ms_per_action']} ms CPU each), raw b {row['raw_b']['per_minute']}/min "
                f"({row['raw_b']['cpu_ms_per_action']} ms CPU each), ratio {row['ratio']}")
    finally:
        await bench.close()
    return {"times": times, "throughput": throughput, "interleaved_until": interleaved_until}


def _iso_now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def _start_latency(steward: Any, until: str) -> dict[str, Any]:
    """Queued to executing (the worker claimed it), from the audit timestamps of the interleaved runs."""
    from datetime import datetime

    queued: dict[str, str] = {}
    started: list[float] = []
    for entry in steward.audit.entries(types=["request.queued", "request.executing"], until=until):
        if entry.type == "request.queued":
            queued[entry.action_id] = entry.ts
        elif entry.action_id in queued:
            begin = datetime.fromisoformat(queued.pop(entry.action_id).replace("Z", "+00:00"))
            end = datetime.fromisoformat(entry.ts.replace("Z", "+00:00"))
            started.append((end - begin).total_seconds() * 1000)
    started.sort()
    if not started:
        return {"requests": 0}
    return {"requests": len(started), "median_ms": round(statistics.median(started), 1),
            "p90_ms": round(started[int(0.9 * (len(started) - 1))], 1), "max_ms": round(started[-1], 1),
            "target_ms": 20, "met": statistics.median(started) <= 20}


def _summary(times: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for action, sides in times.items():
        med = {s: round(statistics.median(v), 1) for s, v in sides.items()}
        row: dict[str, Any] = {f"{s}_ms" if s == "steward" else f"raw_{s}_ms": med[s] for s in SIDES}
        for mode in ("a", "b", "c"):
            row[f"ratio_{mode}"] = round(med["steward"] / med[mode], 2)
        row["met_b"] = row["ratio_b"] <= TARGETS["ratio_b"]
        row["met_a"] = row["ratio_a"] <= TARGETS["ratio_a"]
        rows[action] = row
    return rows


def run_vs_raw_bench(*, runs: int = 5, levels: tuple[int, ...] = (1, 2, 4), per_level: int = 12, out: Path,
                     actions: list[str] | None = None, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Start both fixtures, run the comparison, write and return the results."""
    from executor.config import Settings, normalize_db_url
    from executor.fixture_env import billing_env, orders_env
    from executor.service import Steward
    from fixtures.billing_console import BillingDB, FixtureServer
    from fixtures.orders_admin import OrdersDB, OrdersServer

    chosen = actions or list(FLOWS)
    unknown = sorted(set(chosen) - set(FLOWS))
    if unknown:
        raise ValueError(f"unknown action(s) {', '.join(unknown)}; known: {', '.join(FLOWS)}")
    work = Path(tempfile.mkdtemp(prefix="steward-vs-raw-"))
    password = secrets.token_urlsafe(12)
    load_start = load_average()
    with ExitStack() as stack:
        billing = stack.enter_context(FixtureServer(work / "billing.db", password=password, save_delay_ms=0,
                                                    n_accounts=600))
        orders = stack.enter_context(OrdersServer(work / "orders.db", password=password))
        stack.enter_context(billing_env(billing.base_url, billing.user, password))
        stack.enter_context(orders_env(orders.base_url, orders.user, password))
        settings = Settings(db_url=normalize_db_url(str(work / "steward.db")), home=work / "home",
                            policy_path=_bench_policy(work, list(FLOWS)))
        steward = Steward(settings, loaded_by="bench")
        try:
            targets = {name: steward.catalog.action(name).target for name in FLOWS}
            accounts = {"billing_console": (billing.base_url, billing.user, password),
                        "orders_admin": (orders.base_url, orders.user, password)}
            say(f"vs-raw: {len(chosen)} actions x {runs} interleaved runs, then throughput at {list(levels)}")
            measured = asyncio.run(_measure(_Bench(steward, targets, accounts), _Records(BillingDB(billing.db_path),
                                            OrdersDB(orders.db_path)), chosen, runs, list(levels), per_level, say))
            start_latency = _start_latency(steward, measured["interleaved_until"])
        finally:
            steward.close()
    result = {
        "benchmark": "vs_raw",
        "runs_per_side": runs,
        "save_delay_ms": 0,
        "targets": TARGETS,
        "actions": _summary(measured["times"]),
        "throughput": measured["throughput"],
        "queued_to_executing": start_latency,
        "load_average_start": load_start,
        "load_average_end": load_average(),
        "machine": machine(),
        "at": now_utc(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def markdown(result: dict[str, Any]) -> str:
    """The result as the Markdown tables the README shows."""
    lines = [
        "| action | Steward ms | raw (a) warm page | raw (b) fresh context | raw (c) launch + login "
        "| Steward / (a) | Steward / (b) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in result["actions"].items():
        lines.append(
            f"| `{name}` | {row['steward_ms']:,.0f} | {row['raw_a_ms']:,.0f} | {row['raw_b_ms']:,.0f} "
            f"| {row['raw_c_ms']:,.0f} | {row['ratio_a']:.2f} {'✓' if row['met_a'] else '✗'} "
            f"| {row['ratio_b']:.2f} {'✓' if row['met_b'] else '✗'} |"
        )
    lines += ["", "| concurrency | Steward actions/min | raw (b) actions/min | ratio | Steward CPU ms/action "
              "| raw (b) CPU ms/action |", "|---|---|---|---|---|---|"]
    for level, row in result["throughput"].items():
        lines.append(
            f"| {level} | {row['steward']['per_minute']} | {row['raw_b']['per_minute']} "
            f"| {row['ratio']:.2f} {'✓' if row['met'] else '✗'} | {row['steward']['cpu_ms_per_action']:,.0f} "
            f"| {row['raw_b']['cpu_ms_per_action']:,.0f} |"
        )
    return "\n".join(lines)
