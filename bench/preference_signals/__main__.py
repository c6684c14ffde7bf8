"""bench/preference_signals: how often a preference signal prefers the sound response of a
hand-written (instruction, sound response, flawed response) triple, the flaw a broken
verifiable constraint (tests/data/preference_triples.jsonl, one line a triple).

`checks` (assets/synthesis/preference_checks.py) sees each pair in both orders; a pair counts
as right only when the sound response is chosen in both (a tie or a wrong choice in either
order counts as wrong), so the figure cannot profit from a position.

With `--judges`, the embedded SmolLM2 judges the same pairs (reported, not gated), each told
the instruction with its constraints rendered: `rubric` (the preference_judge template scores
each response 1-10; right when the sound one scores higher) and `pairwise_judge` (both orders;
right when both prefer the sound one), with the share of pairs whose two orders agree. Its
calls are cached under `--home`.

With `--reward-model DIR`, a local reward model folder (what `signal: reward` loads) scores
both responses of each triple (reported, not gated): right when the sound one scores higher.
With `--reward-url URL --reward-name NAME`, a server's scoring API does (what `signal: reward`
with `reward.base_url` calls: vLLM's `/score`, or `/rerank` with `--reward-api rerank`; the
key from the variable `--reward-key-env` names), each score a call cached under `--home`.

    python bench/preference_signals [--triples FILE] [--judges [--judge-limit N]]
                                    [--reward-model DIR]
                                    [--reward-url URL --reward-name NAME [--reward-api API]
                                     [--reward-key-env VAR]]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from assets.constraints import Constraint, render  # noqa: E402
from assets.synthesis.preference_checks import rank_by_checks  # noqa: E402

TARGET = 0.95


def checks_accuracy(triples: list[dict]) -> tuple[float, list[dict]]:
    """The share of triples whose sound response `checks` prefers in both orders, and the
    triples it got wrong (with each order's passed counts)."""
    wrong = []
    for triple in triples:
        constraints = [Constraint(**c) for c in triple["constraints"]]
        forward = rank_by_checks([triple["sound"], triple["flawed"]], constraints)
        backward = rank_by_checks([triple["flawed"], triple["sound"]], constraints)
        if not (forward.chosen == 0 and backward.chosen == 1):
            wrong.append({**triple, "passed_sound_flawed": forward.passed})
    return 1 - len(wrong) / len(triples), wrong


def judge_accuracies(triples: list[dict], home: Path) -> dict[str, float]:
    """rubric and pairwise_judge accuracy of the embedded model, and pairwise consistency."""
    from assets.models.context import ModelContext
    from assets.models.generators import LocalModel, Sampling
    from assets.models.session import ModelSession
    from assets.synthesis.pairwise_judge import PairwiseJudge
    from warehouse import Warehouse

    home.mkdir(parents=True, exist_ok=True)
    session = ModelSession(ModelContext(Warehouse(home), "bench-preference-signals"))
    sampling = Sampling(temperature=0.0, max_tokens=16, seed=7)
    generator = LocalModel(n_ctx=2048)
    instructions = [
        render(t["instruction"], [Constraint(**c) for c in t["constraints"]]) for t in triples
    ]
    rubric = session.judge(generator, "preference_judge", 10, sampling)
    items = [
        {"instruction": i, "response": t[side]}
        for i, t in zip(instructions, triples, strict=True)
        for side in ("sound", "flawed")
    ]
    scores = [j.score for j in rubric.score(items)]
    rubric_right = sum(
        s is not None and f is not None and s > f
        for s, f in zip(scores[::2], scores[1::2], strict=True)
    )
    pairwise = PairwiseJudge.build(session, generator, "preference_pairwise", sampling)
    verdicts = pairwise.compare(
        [(i, t["sound"], t["flawed"]) for i, t in zip(instructions, triples, strict=True)]
    )
    return {
        "rubric_pair_accuracy": rubric_right / len(triples),
        "pairwise_judge_pair_accuracy": sum(v.preferred == 0 for v in verdicts) / len(triples),
        "pairwise_judge_consistent_share": sum(v.preferred is not None for v in verdicts)
        / len(triples),
    }


def reward_accuracy(triples: list[dict], folder: Path) -> float:
    """The share of triples whose sound response the reward model scores above the flawed
    one, each told the instruction with its constraints rendered."""
    from assets.filters.reward_score import predict_rewards

    pairs = []
    for triple in triples:
        instruction = render(
            triple["instruction"], [Constraint(**c) for c in triple["constraints"]]
        )
        pairs += [(instruction, triple["sound"]), (instruction, triple["flawed"])]
    scores = predict_rewards(str(folder), 512, pairs, batch_size=16)
    return sum(s > f for s, f in zip(scores[::2], scores[1::2], strict=True)) / len(triples)


def endpoint_accuracy(triples: list[dict], home: Path, endpoint: dict) -> tuple[float, int]:
    """`reward_accuracy` through a scoring endpoint (`ScoringEndpoint` settings), and how
    many of its scores were new calls (the rest came from the call log under `home`)."""
    from assets.models.context import ModelContext
    from assets.models.generators import ScoringEndpoint
    from assets.models.session import ModelSession
    from assets.synthesis.reward_judge import RewardJudge
    from warehouse import Warehouse

    home.mkdir(parents=True, exist_ok=True)
    session = ModelSession(ModelContext(Warehouse(home), "bench-preference-signals"))
    judge = RewardJudge.build(session, ScoringEndpoint.model_validate(endpoint))
    items = []
    for triple in triples:
        instruction = render(
            triple["instruction"], [Constraint(**c) for c in triple["constraints"]]
        )
        items += [{"instruction": instruction, "response": triple[s]} for s in ("sound", "flawed")]
    scores = [j.score for j in judge.score(items)]
    right = sum(s > f for s, f in zip(scores[::2], scores[1::2], strict=True))
    return right / len(triples), session.new_calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--triples", type=Path, default=REPO / "tests" / "data" / "preference_triples.jsonl"
    )
    parser.add_argument("--judges", action="store_true", help="also the embedded model's judges")
    parser.add_argument("--home", type=Path, default=REPO / "bench" / ".out" / "preference")
    parser.add_argument(
        "--judge-limit", type=int, default=None, help="judge only the first N triples"
    )
    parser.add_argument(
        "--reward-model", type=Path, default=None, help="a local reward model folder to score"
    )
    parser.add_argument("--reward-url", default=None, help="a scoring API root, e.g. .../v1")
    parser.add_argument("--reward-name", default=None, help="the model name the server expects")
    parser.add_argument("--reward-api", choices=["score", "rerank"], default="score")
    parser.add_argument("--reward-key-env", default=None, help="the API key's variable name")
    args = parser.parse_args()
    if args.reward_url and not args.reward_name:
        parser.error("--reward-url needs --reward-name (the model name the server expects)")
    triples = [json.loads(line) for line in args.triples.read_text(encoding="utf-8").splitlines()]
    accuracy, wrong = checks_accuracy(triples)
    kinds = sorted({c["kind"] for t in triples for c in t["constraints"]})
    print(f"triples {len(triples)}, constraint kinds {len(kinds)}, wrong {len(wrong)}")
    for triple in wrong:
        print(
            f"  wrong: {triple['instruction']!r} passed(sound, flawed)={triple['passed_sound_flawed']}"
        )
    print(f"RESULT checks_pair_accuracy {accuracy:.3f} target {TARGET} higher")
    if args.judges:
        # Reported, not gated: what a 135M judge makes of the same pairs.
        judged = triples[: args.judge_limit]
        print(f"judging {len(judged)} triples with the embedded model")
        for name, value in judge_accuracies(judged, args.home).items():
            print(f"{name} {value:.3f}")
    if args.reward_model:
        accuracy = reward_accuracy(triples, args.reward_model)
        print(f"reward_pair_accuracy {accuracy:.3f} ({args.reward_model.name})")
    if args.reward_url:
        endpoint = {
            "base_url": args.reward_url,
            "model": args.reward_name,
            "api": args.reward_api,
            "api_key_env": args.reward_key_env,
        }
        started = time.perf_counter()
        accuracy, new = endpoint_accuracy(triples, args.home, endpoint)
        seconds = time.perf_counter() - started
        print(
            f"reward_endpoint_pair_accuracy {accuracy:.3f} ({args.reward_name} at "
            f"{args.reward_url}, /{args.reward_api}; {new} new calls of {2 * len(triples)} "
            f"in {seconds:.1f} s)"
        )


if __name__ == "__main__":
    main()
