"""``frugal demo --shadow``: the quality audit, told against the loopback vendor stub (:mod:`frugal.testing`)
through the real SDKs, no API key and no network.

A policy extending the built-in default turns ``shadow:`` on for its default route and adds a ``support``
route that cascades. Calls of three tiers go through a client whose label store is in memory; the small
and medium tiers' answers are also sent to the baseline model off the caller's path and compared; a few
answers get ``client.feedback()``; the cascade escalates the answers its checks reject. The labels are kept
in a SQLite label store (in a temporary folder), as ``feedback: {store: sqlite:///...}`` keeps them; the
learned classifier is trained from that store as ``frugal train --from-store`` does (the shipped model as
the prior; skipped, and said so, without numpy). Then the audit: what ``frugal report`` shows for this
ledger and label store.

The stub's answers are scripted, so the verdicts are too: the small model's answer differs from the
baseline's in :data:`_SMALL_MISSES` of :data:`_SMALL_CALLS` calls. What the demo shows is the arithmetic
and the honesty of the audit (every share with its sample, small samples flagged), not a model's quality.
"""

from __future__ import annotations

import json
import time
from typing import Any

__all__ = ["shadow_story"]

#: The story's policy: every call routed below the baseline on the default route is shadowed (the
#: default is 5 %: a demo has few calls), compared by text once case and punctuation are set aside.
_POLICY = """
extends: default
name: demo-shadow
ledger: memory://
shadow: {sample: 1.0, compare: normalized, routes: [default], limit_usd: 1.0}
routes:
  support:
    description: answers checked, escalated when cut short
    strategy: cascade
    cascade: {checks: [finish_reason]}
"""

_SMALL = [
    "What is the capital of France?",
    "Translate 'good morning' into Spanish.",
    "hi! can you help me?",
    "Summarise the causes of the French revolution in three paragraphs for a history class.",
]
_MEDIUM = [
    "Write a Python function that parses ISO 8601 dates with time zones, with tests.",
    "Explain how a hash map works and when its lookups degrade.",
]
_LARGE = (
    "Design a multi-region event-sourced billing system and compare its consistency trade-offs, step by "
    "step, with a migration plan."
)
#: Calls per tier on the default route, and how many of the small and medium answers differ from the
#: baseline's.
_SMALL_CALLS, _SMALL_MISSES = 40, 3
_MEDIUM_CALLS, _MEDIUM_MISSES = 8, 1
_LARGE_CALLS = 2
#: Calls on the cascade route, and how many of its first answers are cut short (and escalated).
_SUPPORT_CALLS, _SUPPORT_CUT = 12, 3
#: ``client.feedback()`` on the first small answers: good, then not good.
_FEEDBACK_GOOD, _FEEDBACK_BAD = 5, 1

_SMALL_MODEL, _MEDIUM_MODEL, _BASELINE = "gpt-5-nano", "gpt-5.4-mini", "gpt-6.1-sol"


def shadow_story(as_json: bool) -> int:
    """Run the shadow story and print the audit (``as_json``: the report with its ``quality`` and the
    ``training`` step, as JSON)."""
    import logging
    import tempfile
    import warnings
    from pathlib import Path

    from ..testing import VendorStub

    with (
        VendorStub() as stub,
        warnings.catch_warnings(),
        tempfile.TemporaryDirectory(prefix="frugal-demo-") as folder,
    ):
        warnings.simplefilter("ignore")
        logging.getLogger("frugal").setLevel(logging.ERROR)
        store = f"sqlite:///{Path(folder) / 'labels.db'}"
        made, counts = _traffic(stub, store)
        made["training"] = _train(store, Path(folder) / "model.json")
    if as_json:
        print(json.dumps(made, indent=2))
        return 0
    _tell(made, counts)
    return 0


def _script(stub: Any) -> None:
    """The stub's answers: the baseline's, and the cheaper models' (a few of them different, or cut short)."""
    from ..testing import Reply, Usage

    usage = Usage(input_tokens=400, output_tokens=150)
    stub.reply(None, Reply(text="The answer.", usage=usage))
    stub.reply(_SMALL_MODEL, Reply(text="the answer", usage=usage))
    stub.reply(_MEDIUM_MODEL, Reply(text="THE ANSWER!", usage=usage))
    same, other = Reply(text="the answer", usage=usage), Reply(text="Another answer.", usage=usage)
    every = _SMALL_CALLS // _SMALL_MISSES
    misses = {every * (k + 1) - 1 for k in range(_SMALL_MISSES)}
    stub.queue(_SMALL_MODEL, *[other if i in misses else same for i in range(_SMALL_CALLS)])
    stub.queue(_MEDIUM_MODEL, *([same] * (_MEDIUM_CALLS - _MEDIUM_MISSES)), other)
    cut = Reply(text="The ans", usage=usage, stop_reason="length")
    stub.queue(_SMALL_MODEL, *[cut if i < _SUPPORT_CUT else same for i in range(_SUPPORT_CALLS)])


def _traffic(stub: Any, store: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The calls, the feedback and the audit: the report (``quality`` included) and what was done; the
    labels are kept in the label store at ``store``."""
    from ..budgets.report import Period, build_report
    from ..budgets.report_quality import with_quality
    from ..feedback.audit import build_audit
    from ..policy import parse_policy
    from .demo import stub_client

    policy = parse_policy(_POLICY + f"feedback: {{store: '{store}'}}\n", "demo-shadow.yaml")[0]
    client = stub_client(stub, policy)
    _script(stub)
    start = time.time()
    answers = []
    plan = (
        [_SMALL[i % len(_SMALL)] for i in range(_SMALL_CALLS)]
        + [_MEDIUM[i % len(_MEDIUM)] for i in range(_MEDIUM_CALLS)]
        + [_LARGE] * _LARGE_CALLS
    )
    for prompt in plan:
        answer = client.chat.completions.create(model="auto", messages=[{"role": "user", "content": prompt}])
        answers.append(answer)
    for index, answer in enumerate(answers[: _FEEDBACK_GOOD + _FEEDBACK_BAD]):
        client.feedback(answer, good=index < _FEEDBACK_GOOD)
    for index in range(_SUPPORT_CALLS):
        prompt = _SMALL[index % len(_SMALL)]
        client.chat.completions.create(model="support", messages=[{"role": "user", "content": prompt}])
    client.flush_shadows(timeout=60)
    now = time.time() + 1
    records = client.ledger.records()
    labels = client.labels.labels()
    client.close()
    period = Period(start - 1, now)
    report = build_report(records, period, ledger="memory://", now=now)
    tiers = [tier.name for tier in policy.tiers]
    made = with_quality(report, build_audit(labels, records, tiers=tiers, store="sqlite:///labels.db"))
    counts = {
        "default": len(plan),
        "support": _SUPPORT_CALLS,
        "feedback": _FEEDBACK_GOOD + _FEEDBACK_BAD,
        "shadowed": sum(r.shadow_of is not None for r in records),
    }
    return made, counts


def _train(store: str, out: Any) -> dict[str, Any]:
    """Train the learned classifier from the label store, as ``frugal train --from-store`` does, and say
    how the small prompts' scores moved (the labels said the small tier was mostly good enough)."""
    from ..classifiers.learned import LearnedClassifier
    from ..classifiers.learned_model import load_model
    from ..exceptions import ConfigError
    from ..request import RoutingRequest
    from .from_store import read_store

    labels = read_store(store)
    prior = load_model("v2")
    try:
        from ..evaluation.store_train import fit_from_labels

        model = fit_from_labels(labels, prior)
    except ConfigError as exc:  # numpy (the train extra) is not installed
        return {"trained": False, "labels": len(labels), "why": str(exc)}
    model.save(out)
    requests = [RoutingRequest.from_prompt(prompt) for prompt in _SMALL]

    def mean_score(classifier: LearnedClassifier) -> float:
        return round(sum(classifier.classify(r).score for r in requests) / len(requests), 4)

    return {
        "trained": True,
        "labels": len(labels),
        "labels_used": model.training["labels_used"],
        "prior_share": model.training["prior_share"],
        "word_buckets": len(model.words),
        "small_prompts_score_before": mean_score(LearnedClassifier(model=prior)),
        "small_prompts_score_after": mean_score(LearnedClassifier(model=model)),
    }


def _tell(report: dict[str, Any], counts: dict[str, int]) -> None:
    """Print the story: the traffic, then the audit as ``frugal report`` shows it."""
    from ..budgets.report import headline
    from ..budgets.report_quality import render_quality
    from ._output import console

    out = console()
    out.print(
        "[bold]frugal demo --shadow[/bold]: the quality audit, against the loopback vendor stub (real SDKs, "
        "no API key, no network; the stub's answers are scripted, so are the verdicts)",
        highlight=False,
    )
    out.print(
        f"\n[bold]1. Traffic[/bold]: {counts['default']} calls on the default route, each routed below "
        f"the baseline ({_BASELINE}) also sent to it off the caller's path and the two answers compared "
        f"({counts['shadowed']} shadow calls: sample 1.0 here, 0.05 by default); {counts['support']} "
        "calls on the 'support' route, a cascade "
        f"that escalates an answer cut short; client.feedback() on {counts['feedback']} answers.",
        highlight=False,
    )
    trained = report["training"]
    if trained["trained"]:
        out.print(
            f"\n[bold]2. Training[/bold] from the label store (what `frugal train --from-store "
            f"sqlite:///labels.db --out model.json` does): {trained['labels_used']} of {trained['labels']} "
            f"labels, the shipped model as the prior (its share of the fit {trained['prior_share']:.0%}); "
            f"the small prompts' mean score {trained['small_prompts_score_before']:.3f} -> "
            f"{trained['small_prompts_score_after']:.3f} (the labels said the small tier was mostly good "
            "enough). A policy names the file with classifier: {name: learned, options: {model: ...}}.",
            highlight=False,
        )
    else:
        out.print(f"\n[bold]2. Training[/bold] skipped: {trained['why']}", highlight=False)
    out.print("\n[bold]3. The audit[/bold] (what `frugal report` prints for this ledger and label store)")
    for line in headline(report):
        out.print(line, highlight=False)
    render_quality(report["quality"], out)
    out.print(
        "\nnext: put shadow: {sample: 0.05} in your policy (labels go beside the ledger), then frugal report "
        "(docs/feedback.md)",
        highlight=False,
    )
