"""Weight interpolation between a continuation and the model it started from (WiSE-FT, Wortsman et al., 2022).

A continuation on new text (other domains, Hindi) drifts on what the start model already did well (English
STS). Averaging the two sets of weights, (1 - alpha) x start + alpha x continued, keeps most of what was
gained and gives back most of what was lost, because both models lie in one basin (one started from the
other). The share alpha is chosen on development sets only: the largest alpha on the recipe's grid whose STSb
dev is within `max_drop` of the start model's; the en-hi dev bitext (never FLORES, which is reported) is
logged beside it, so the trade is in the record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

# the development bitext the choice logs (en_hi_dev/flores200_dev is the reported evaluation)
DEV_BITEXT = "wmt14_newsdev2014.tsv"


@dataclass(frozen=True)
class MixScore:
    alpha: float
    stsb_dev: float
    bitext_dev: float | None  # mean top-1 of both directions on DEV_BITEXT, x100


def mixed_state(start: dict, tuned: dict, alpha: float) -> dict:
    """(1 - alpha) x start + alpha x tuned, tensor by tensor (float tensors only; others from `tuned`)."""
    out = {}
    for key, value in tuned.items():
        if value.is_floating_point() and key in start:
            out[key] = (1.0 - alpha) * start[key].to(value.dtype) + alpha * value
        else:
            out[key] = value
    return out


def dev_scorer(tokenizer, data_dir: Path, max_len: int) -> Callable[[object], tuple[float, float | None]]:
    """A function model -> (STSb dev Spearman x100, dev bitext mean top-1 x100 or None)."""
    from trainer.data import read_sts
    from trainer.distill import student_encoder
    from trainer.evaluate import eval_bitext
    from trainer.metrics import paired_cosine, spearman

    sts = read_sts(Path(data_dir) / "sts" / "stsb_dev.tsv")
    bitext = Path(data_dir) / "multilingual" / "en_hi_dev" / DEV_BITEXT

    def score(model) -> tuple[float, float | None]:
        encode = student_encoder(model, tokenizer, max_len, bf16=False)
        emb = encode(sts.sentences1 + sts.sentences2)
        n = len(sts.sentences1)
        stsb = 100 * spearman(paired_cosine(emb[:n], emb[n:]), sts.scores)
        return stsb, (eval_bitext(encode, bitext)["mean_top1"] if bitext.exists() else None)

    return score


def choose_mix(
    model, start_state: dict, alphas: Sequence[float], score, *, max_drop: float, log=print
) -> tuple[float, list[MixScore]]:
    """Load into `model` the mix with the largest alpha whose STSb dev is within max_drop of the start's
    (alpha 0); returns that alpha and every score."""
    tuned = {k: v.detach().clone() for k, v in model.state_dict().items()}
    grid = sorted({0.0, 1.0, *map(float, alphas)})
    scores = []
    for alpha in grid:
        model.load_state_dict(mixed_state(start_state, tuned, alpha))
        stsb, bitext = score(model)
        scores.append(MixScore(alpha, round(stsb, 2), None if bitext is None else round(bitext, 2)))
        log(
            f"interpolate: alpha {alpha:.2f} stsb_dev {stsb:.2f}"
            + ("" if bitext is None else f" bitext_dev {bitext:.1f}")
        )
    floor = scores[0].stsb_dev - max_drop
    chosen = max((s.alpha for s in scores if s.stsb_dev >= floor), default=0.0)
    model.load_state_dict(mixed_state(start_state, tuned, chosen))
    log(f"interpolate: alpha {chosen:.2f} (the largest within {max_drop} STSb dev of the start model)")
    return chosen, scores


def interpolate_student(model, tokenizer, start_folder: Path, data_dir: Path, cfg, max_len: int, log=print) -> dict:
    """Mix the trained student with the model it started from, as the recipe's train.interpolate grid says;
    the record for klein.json."""
    import copy

    from trainer.distill import load_weights

    start = copy.deepcopy(model)
    load_weights(start, start_folder)
    alpha, scores = choose_mix(
        model,
        start.state_dict(),
        cfg.interpolate,
        dev_scorer(tokenizer, data_dir, max_len),
        max_drop=cfg.interpolate_max_drop,
        log=log,
    )
    return {
        "start": start_folder.name,
        "alpha": alpha,
        "rule": f"largest alpha with STSb dev >= start - {cfg.interpolate_max_drop}",
        "dev": [asdict(s) for s in scores],
    }
