"""The `triage` command line: classify, evaluate, train, serve."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from shared.contracts import Urgency
from triage.engine import Classifier, Verdict
from triage.evaluation import Outcome, Report
from triage.model import DEFAULT_MODEL, load_model
from triage.rules import RuleFileError, load_rules


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="triage", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("classify", "classify JSON lines"), ("evaluate", "score labeled lines")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("file", nargs="?" if name == "classify" else None, default="-")
        cmd.add_argument("--rules", type=Path, help="rule file (default: the shipped rules)")
        cmd.add_argument("--model", type=Path, help="model file (default: the shipped model)")
        cmd.add_argument("--no-model", action="store_true", help="rules only")
        cmd.add_argument("--holdout", type=int, default=0, help="only every Nth line")
    train = sub.add_parser(
        "train",
        help="cross-validate the raise thresholds, then train the learned layer on labeled lines",
    )
    train.add_argument("file", nargs="+", help="labeled JSON lines (several files are pooled)")
    train.add_argument("-o", "--output", type=Path, default=DEFAULT_MODEL)
    train.add_argument("--holdout", type=int, default=0, help="leave out every Nth line")
    train.add_argument(
        "--folds",
        type=int,
        default=5,
        help="k of the k-fold cross-validation that picks the raise thresholds "
        "(0: skip it and keep the default thresholds)",
    )
    sub.add_parser("serve", help="run the triage worker")
    return parser


def _lines(path: str, holdout: int, keep: bool) -> Iterator[tuple[int, str]]:
    stream: TextIO = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    with stream:
        for number, line in enumerate(stream, start=1):
            if line.strip() and (not holdout or (number % holdout == 0) == keep):
                yield number, line


def _classifier(args: argparse.Namespace) -> Classifier:
    model_path = args.model or DEFAULT_MODEL
    use_model = not args.no_model and model_path.exists()
    return Classifier(load_rules(args.rules), load_model(model_path) if use_model else None)


def _verdict(clf: Classifier, number: int, line: str) -> tuple[dict[str, Any], Verdict] | None:
    try:
        item = json.loads(line)
        fields = item["fields"]
        if not isinstance(fields, dict):
            raise TypeError("'fields' must be an object")
        return item, clf.classify(str(item["form"]), fields)
    except (ValueError, KeyError, TypeError) as exc:
        detail = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
        print(f"line {number}: {detail}", file=sys.stderr)
        return None


def _as_json(item: dict[str, Any], v: Verdict) -> str:
    reasons = [r.model_dump() for r in v.reasons]
    out = {"id": item.get("id"), "urgency": v.urgency.value, "topic": v.topic.value}
    out |= {"topics": [t.value for t in v.topics], "reasons": reasons}
    return json.dumps(out, ensure_ascii=False)


def _classify(args: argparse.Namespace) -> int:
    clf, failed = _classifier(args), False
    for number, line in _lines(args.file, args.holdout, True):
        result = _verdict(clf, number, line)
        if result is None:
            failed = True
        else:
            print(_as_json(*result))
    return 1 if failed else 0


def _evaluate(args: argparse.Namespace) -> int:
    clf, report, failed = _classifier(args), Report(), False
    for number, line in _lines(args.file, args.holdout, True):
        result = _verdict(clf, number, line)
        if result is None:
            failed = True
            continue
        item, v = result
        try:
            truth = Urgency(item["urgency"])
            topics, lang = tuple(item["topics"]), str(item.get("lang", v.language))
        except (KeyError, ValueError) as exc:
            print(f"line {number}: not labeled: {exc}", file=sys.stderr)
            failed = True
            continue
        report.outcomes.append(Outcome(truth, v.urgency, topics, v.topic.value, lang))
    print(f"rule set {clf.version}")
    for text in report.lines():
        print(text)
    return 1 if failed else 0


def _train(args: argparse.Namespace) -> int:
    from triage.crossval import cross_validate
    from triage.training import THRESHOLDS, save, train

    lines = [
        json.loads(line) for path in args.file for _, line in _lines(path, args.holdout, False)
    ]
    thresholds, cv = dict(THRESHOLDS), None
    if args.folds >= 2:
        result = cross_validate(lines, args.folds)
        for text in result.lines():
            print(text)
        print()
        best = result.best()
        thresholds = best.thresholds
        cv = {
            "folds": args.folds,
            "lines": len(lines),
            "macro_f1": round(best.report.macro_f1(), 4),
            "emergency_recall": round(best.report.per_class()[Urgency.EMERGENCY][1], 4),
            "emergency_precision": round(best.report.per_class()[Urgency.EMERGENCY][0], 4),
            "rules_only_macro_f1": round(result.rules_only.macro_f1(), 4),
            "rules_only_emergency_recall": round(result.floor(), 4),
        }
    model = train(lines, thresholds=thresholds)
    if cv is not None:
        model["cv"] = cv
    save(model, args.output)
    print(f"trained on {len(lines)} lines, thresholds {thresholds} -> {args.output}")
    return 0


def _serve(_: argparse.Namespace) -> int:
    from triage.service import serve

    serve()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"classify": _classify, "evaluate": _evaluate, "train": _train, "serve": _serve}
    try:
        return commands[args.command](args)
    except RuleFileError as exc:
        print(f"triage: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
