"""Distil the teacher's sentence embeddings into the student, with checkpoints and resume.

Loss per batch (teacher vectors t are unit length, s is the student's mean-pooled output, P a 256->384 linear
projection used only in training):
  * 1 - cos(P s, t)                                   the sketch's objective
  * InfoNCE of P s against the batch's teacher vectors  keeps texts apart, not just near their own target
  * MSE between the student's and the teacher's in-batch cosine matrices, on the full embedding and its
    Matryoshka prefixes: the exported vectors are s (not P s), so their own geometry is trained directly.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from trainer.metrics import paired_cosine, spearman


def build_student(cfg, vocab_size: int):
    from transformers import RobertaConfig, RobertaModel

    config = RobertaConfig(
        vocab_size=vocab_size,
        hidden_size=cfg.hidden,
        num_hidden_layers=cfg.layers,
        num_attention_heads=cfg.heads,
        intermediate_size=cfg.intermediate,
        max_position_embeddings=cfg.max_position_embeddings,
        type_vocab_size=1,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        # regression onto a fixed target with ~3 passes over the data: nothing to regularise, dropout only slows
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    return RobertaModel(config, add_pooling_layer=False)


def tokenize(tokenizer, texts: Sequence[str], max_len: int) -> list[list[int]]:
    """Ids with <s> ... </s>, cut to max_len keeping </s> (as the runtime does)."""
    out = []
    for enc in tokenizer.encode_batch(list(texts), add_special_tokens=True):
        ids = enc.ids
        if len(ids) > max_len:
            ids = ids[: max_len - 1] + ids[-1:]
        out.append(ids)
    return out


def make_batches(
    lengths: np.ndarray, available: np.ndarray, batch_size: int, seed: int, chunk: int, n_batches: int = 50
) -> list[np.ndarray]:
    """The next n_batches length-bucketed batches, drawn without replacement from the texts that have targets.

    The same (seed, chunk, available) gives the same batches, so a resumed run continues the same sequence.
    Sorting a pool of 50 batches by length before cutting it keeps padding low at little cost to randomness.
    """
    rng = np.random.default_rng([seed, chunk])
    idx = np.flatnonzero(available)
    take = rng.choice(idx, size=min(len(idx), batch_size * n_batches), replace=False)
    take = take[np.argsort(lengths[take], kind="stable")]
    batches = [take[i : i + batch_size] for i in range(0, len(take), batch_size)]
    batches = [b for b in batches if len(b) >= 2]
    return [batches[i] for i in rng.permutation(len(batches))]


def pad_batch(ids: list[list[int]], pad_id: int = 1):
    import torch

    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for r, x in enumerate(ids):
        input_ids[r, : len(x)] = torch.tensor(x, dtype=torch.long)
        mask[r, : len(x)] = 1
    return input_ids, mask


def mean_pool(hidden, mask):
    # specials included, as in the runtime and sentence-transformers' Pooling
    w = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * w).sum(1) / w.sum(1).clamp(min=1e-9)


def student_encoder(model, tokenizer, max_len: int, bf16: bool, batch_size: int = 128) -> Callable:
    """encode(texts) -> unit vectors, computed as the runtime will compute them."""
    import torch

    def encode(texts: Sequence[str]) -> np.ndarray:
        ids = tokenize(tokenizer, texts, max_len)
        order = np.argsort([len(x) for x in ids], kind="stable")
        out = np.zeros((len(ids), model.config.hidden_size), dtype=np.float32)
        was_training = model.training
        model.eval()
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            for start in range(0, len(order), batch_size):
                b = order[start : start + batch_size]
                input_ids, mask = pad_batch([ids[i] for i in b])
                h = model(input_ids=input_ids, attention_mask=mask).last_hidden_state.float()
                out[b] = mean_pool(h, mask).numpy()
        model.train(was_training)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    return encode


def distill_loss(s, t, proj, cfg, dims: Sequence[int]):
    """Total loss and its parts; s: (B, H) student float32, t: (B, D) unit teacher vectors."""
    import torch
    import torch.nn.functional as F

    p = F.normalize(proj(s), dim=-1)
    cos = (1 - (p * t).sum(-1)).mean()
    labels = torch.arange(len(t))
    nce = F.cross_entropy(p @ t.T / cfg.temperature, labels)
    target = t @ t.T
    rel = torch.zeros((), dtype=s.dtype)
    for d in dims:
        sd = F.normalize(s[:, :d], dim=-1)
        rel = rel + ((sd @ sd.T - target) ** 2).mean()
    rel = rel / max(len(dims), 1)
    total = cos + cfg.contrastive_weight * nce + cfg.matryoshka_weight * rel
    return total, {"cos": cos.item(), "nce": nce.item(), "rel": rel.item()}


def loss_dims(scfg) -> list[int]:
    """The Matryoshka prefixes the loss matches, always ending with the full width."""
    return sorted({d for d in scfg.matryoshka_dims if d < scfg.hidden} | {scfg.hidden})


def distill_step(model, proj, opt, params, batch_ids: list[list[int]], targets, cfg, dims: Sequence[int]):
    """One optimiser step on a batch of token ids and their teacher vectors; (loss parts, real tokens seen)."""
    import torch

    input_ids, mask = pad_batch(batch_ids)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
        h = model(input_ids=input_ids, attention_mask=mask).last_hidden_state
    loss, parts = distill_loss(mean_pool(h.float(), mask), targets, proj, cfg, dims)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    return parts, int(mask.sum())


def load_weights(model, folder: Path) -> None:
    """Copy a saved Klein model folder's encoder weights (stored float16 or float32) into the student."""
    import torch
    from transformers import RobertaModel

    src = RobertaModel.from_pretrained(str(folder), add_pooling_layer=False, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(src.state_dict(), strict=False)
    if [k for k in missing if "position_ids" not in k] or unexpected:
        raise ValueError(f"{folder} does not fit the recipe's student: missing {missing}, unexpected {unexpected}")


def fit_projection(model, proj, ids: list[list[int]], row: np.ndarray, pool, cfg, n: int = 3072) -> None:
    """Least-squares fit of the training projection P (s -> teacher space) for a student that is already trained
    but whose P was not kept: a random P would send large, meaningless gradients into the encoder at first."""
    import torch

    have = np.flatnonzero(pool.available[row])
    pick = np.random.default_rng(cfg.seed).choice(have, size=min(n, len(have)), replace=False)
    pick = pick[np.argsort([len(ids[i]) for i in pick], kind="stable")]
    feats = []
    model.eval()
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
        for start in range(0, len(pick), 128):
            input_ids, mask = pad_batch([ids[i] for i in pick[start : start + 128]])
            h = model(input_ids=input_ids, attention_mask=mask).last_hidden_state.float()
            feats.append(mean_pool(h, mask))
    model.train()
    x = torch.cat(feats).double()
    x = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1)
    y = torch.from_numpy(pool.targets[row[pick]]).double()
    ridge = 1e-3 * torch.eye(x.shape[1], dtype=x.dtype)
    w = torch.linalg.solve(x.T @ x + ridge, x.T @ y)  # (H + 1, D)
    with torch.no_grad():
        proj.weight.copy_(w[:-1].T.float())
        proj.bias.copy_(w[-1].float())


def onecycle_lr(progress: float, max_lr: float, pct_start: float, div: float = 25.0, final_div: float = 1e4) -> float:
    """torch's OneCycleLR (cosine) as a function of progress in [0, 1], so the cycle can follow steps or time."""
    start, end = max_lr / div, max_lr / div / final_div
    p = min(max(progress, 0.0), 1.0)
    if p < pct_start:
        return start + (max_lr - start) * (1 - math.cos(math.pi * p / pct_start)) / 2
    q = (p - pct_start) / max(1 - pct_start, 1e-9)
    return max_lr + (end - max_lr) * (1 - math.cos(math.pi * q)) / 2


def _save(path: Path, payload: dict) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)  # a checkpoint is either whole or the previous one


def train_student(
    recipe,
    *,
    tokenizer,
    teacher,
    texts: Sequence[str],
    targets,
    data_dir: Path | None,
    out: Path,
    max_steps: int | None = None,
    log: Callable[[str], None] = print,
    target_index: Sequence[int] | None = None,
    init_folder: Path | None = None,
) -> Path | None:
    """Train (or resume) the student; returns the final weights' path, or None if stopped early.

    `targets` is an (n, dim) array or a TargetPool that a teacher process is still filling; text i learns row
    target_index[i] of it (default: row i). `init_folder`: a model folder to continue from (student.init "model").
    """
    import torch

    from trainer.teacher import TargetPool

    pool = targets if isinstance(targets, TargetPool) else TargetPool.from_array(np.asarray(targets))

    cfg, scfg = recipe.train, recipe.student
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    ckpt_dir = out / "checkpoints"
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    final = out / "student.pt"
    if final.exists():
        log(f"student: already trained ({final})")
        return final

    model = build_student(scfg, tokenizer.get_vocab_size())
    proj = torch.nn.Linear(scfg.hidden, pool.targets.shape[1])
    latest = ckpt_dir / "latest.pt"
    state = torch.load(latest, weights_only=False) if latest.exists() else None
    if state is None and scfg.init == "model":
        load_weights(model, init_folder)
        log(f"student: weights from {init_folder}")
    elif state is None and scfg.init == "static":
        from trainer.init_static import static_embeddings

        t0 = time.time()
        table = static_embeddings(tokenizer, teacher, scfg.hidden, texts=texts, sif_a=scfg.sif_a, seed=cfg.seed)
        with torch.no_grad():
            model.embeddings.word_embeddings.weight.copy_(torch.from_numpy(table))
        log(f"student: static token embeddings from the teacher in {time.time() - t0:.0f}s")

    params = list(model.parameters()) + list(proj.parameters())
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr
    )
    # with a time budget the learning-rate cycle follows wall time: on a machine shared with other jobs the
    # number of steps that fit is unknown in advance, the deadline is not
    budget = cfg.time_budget_s

    def progress(step: int, elapsed: float) -> float:
        return elapsed / budget if budget else step / cfg.steps

    def set_lr(p: float) -> float:
        lr = onecycle_lr(p, cfg.lr, cfg.pct_start)
        for g in opt.param_groups:
            g["lr"] = lr
        return lr

    step, elapsed, history = 0, 0.0, []
    if state is not None:
        model.load_state_dict(state["model"])
        proj.load_state_dict(state["proj"])
        opt.load_state_dict(state["opt"])
        step, elapsed, history = state["step"], state["elapsed"], state["history"]
        log(f"student: resumed at step {step} ({elapsed:.0f}s trained)")

    ids = tokenize(tokenizer, texts, cfg.max_train_tokens)
    lengths = np.array([len(x) for x in ids])
    row = np.arange(len(ids)) if target_index is None else np.asarray(target_index, dtype=np.int64)
    tgt = torch.from_numpy(pool.targets)  # shares memory: shards loaded later show up here
    dims = loss_dims(scfg)
    dev = Path(data_dir) / "sts" / "stsb_dev.tsv" if data_dir else None

    def dev_score() -> float | None:
        if dev is None or not dev.exists():
            return None
        from trainer.data import read_sts

        sts = read_sts(dev)
        enc = student_encoder(model, tokenizer, scfg.max_seq_length, cfg.bf16)
        e = enc(sts.sentences1 + sts.sentences2)
        n = len(sts.sentences1)
        return 100 * spearman(paired_cosine(e[:n], e[n:]), sts.scores)

    def checkpoint() -> None:
        payload = {
            "model": model.state_dict(),
            "proj": proj.state_dict(),
            "opt": opt.state_dict(),
            "step": step,
            "elapsed": elapsed,
            "history": history,
        }
        _save(latest, payload)

    model.train()
    chunk_batches: dict[int, list[np.ndarray]] = {}
    per_chunk = 50
    while pool.refresh() < cfg.batch_size and not pool.complete():
        time.sleep(5)  # the teacher has not written its first shard yet
    if state is None and scfg.init == "model":
        t0 = time.time()
        fit_projection(model, proj, ids, row, pool, cfg)
        log(f"student: projection fitted to the teacher by least squares in {time.time() - t0:.0f}s")
    total = 10**12 if budget else cfg.steps
    stop_at = total if max_steps is None else min(total, max_steps)
    last_ckpt = time.time()
    t_mark, seqs, toks = time.time(), 0, 0
    run_start = time.time() - elapsed
    parts_acc: dict[str, float] = {}
    plan = f"{budget / 60:.0f} min" if budget else f"{cfg.steps} steps"
    log(f"student: {plan} of batches of {cfg.batch_size}; {int(pool.available.sum())}/{len(ids)} texts have targets")
    lr = set_lr(progress(step, elapsed))
    while step < stop_at and not (budget and elapsed >= budget):
        chunk, pos = divmod(step, per_chunk)
        if chunk not in chunk_batches:
            pool.refresh()
            chunk_batches = {
                chunk: make_batches(lengths, pool.available[row], cfg.batch_size, cfg.seed, chunk, per_chunk)
            }
        batches = chunk_batches[chunk]
        b = batches[pos % len(batches)]
        parts, n_tokens = distill_step(
            model, proj, opt, params, [ids[i] for i in b], tgt[torch.from_numpy(row[b])], cfg, dims
        )
        step += 1
        seqs += len(b)
        toks += n_tokens
        for k, v in parts.items():
            parts_acc[k] = parts_acc.get(k, 0.0) + v
        elapsed = time.time() - run_start
        lr = set_lr(progress(step, elapsed))
        finished = step == stop_at or (budget and elapsed >= budget)
        if step % cfg.log_every_steps == 0 or finished:
            dt = max(time.time() - t_mark, 1e-9)
            n = cfg.log_every_steps if step % cfg.log_every_steps == 0 else step % cfg.log_every_steps
            msg = " ".join(f"{k} {v / n:.4f}" for k, v in parts_acc.items())
            rec = {
                "step": step,
                "elapsed": round(elapsed, 1),
                "lr": lr,
                "seq_s": seqs / dt,
                "texts_with_targets": int(pool.available.sum()),
            }
            rec.update({k: v / n for k, v in parts_acc.items()})
            if step % cfg.eval_every_steps == 0 or finished:
                rec["stsb_dev"] = dev_score()
                msg += f" stsb_dev {rec['stsb_dev']:.2f}" if rec["stsb_dev"] is not None else ""
            history.append(rec)
            # always logged: --no-progress silences bars, never the record of how training went
            log(
                f"step {step} {msg} lr {rec['lr']:.2e} {seqs / dt:.0f} seq/s "
                f"{toks / dt:.0f} tok/s elapsed {elapsed / 60:.1f} min"
            )
            t_mark, seqs, toks, parts_acc = time.time(), 0, 0, {}
        if time.time() - last_ckpt > cfg.checkpoint_every_s:
            checkpoint()
            last_ckpt = time.time()
    checkpoint()
    (out / "train_history.json").write_text(json.dumps(history, indent=1))
    if not (step >= cfg.steps or (budget and elapsed >= budget)):
        log(f"student: stopped at step {step}/{cfg.steps}; run again to resume")
        return None
    _save(
        final,
        {
            "model": model.state_dict(),
            "config": model.config.to_dict(),
            "steps": step,
            "elapsed": elapsed,
            "texts_with_targets": int(pool.available.sum()),
            "sequences": int(step * cfg.batch_size),
        },
    )
    log(f"student: done, {step} steps in {elapsed / 60:.1f} min")
    return final
