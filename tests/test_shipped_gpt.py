"""The course's shipped models (data/): their sha256 is checked before reading, they are read with
weights_only=True, and the Shakespeare GPT's held-out loss is what data/README.md says."""

from __future__ import annotations

import hashlib
import pathlib
import pickle
import re
import shutil

import pytest
import torch

from course_lib.interop import (
    SHIPPED,
    ShippedFileError,
    heldout_loss,
    load_shakespeare_gpt,
    load_shipped_translator,
    shipped_path,
)
from course_lib.interop.shipped import DATA_DIR

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "data" / "README.md"
TINY_SHAKESPEARE = pathlib.Path("/work/shared/data/tinyshakespeare.txt")
TINY_SHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def test_files_are_in_data_small_and_listed_with_their_sha256():
    assert DATA_DIR == ROOT / "data"
    text = _readme()
    for name, sha in SHIPPED.items():
        path = shipped_path(name)
        assert path == DATA_DIR / name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha, name
        assert path.stat().st_size < 5_000_000, name
        row = next(line for line in text.splitlines() if line.startswith(f"| `{name}`"))
        assert sha in row and f"{path.stat().st_size:,} bytes" in row, row


def test_the_shipped_gpt_loads_and_writes_shakespeare():
    gpt = load_shakespeare_gpt()
    assert not gpt.model.training and gpt.tokenizer.vocab_size == gpt.model.config.vocab_size == 72
    assert gpt.model.head.weight is gpt.model.tok_emb.weight  # still tied after loading
    ids = torch.tensor([gpt.tokenizer.encode("ROMEO:\nI will ")])
    with torch.no_grad():
        probs = gpt.model(ids).logits[0, -1].softmax(-1)
    space_or_letter = sum(float(probs[gpt.tokenizer.token_to_id(c)]) for c in "abcdefghijklmnopqrstuvwxyz ")
    assert space_or_letter > 0.9  # after "I will " a trained model writes a word, not punctuation or [PAD]


def test_heldout_loss_is_the_one_in_the_readme():
    if not TINY_SHAKESPEARE.is_file():
        pytest.skip(f"Tiny Shakespeare is not at {TINY_SHAKESPEARE}: the held-out loss cannot be measured here")
    data = TINY_SHAKESPEARE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == TINY_SHAKESPEARE_SHA256, "not the Tiny Shakespeare the GPT was trained on"
    stated = float(re.search(r"held-out loss: (\d+\.\d+)", _readme()).group(1))
    gpt = load_shakespeare_gpt()
    measured = heldout_loss(gpt.model, gpt.tokenizer, data.decode("utf-8"))
    print(f"held-out loss: measured {measured:.4f}, data/README.md says {stated}")
    assert abs(measured - stated) <= 0.02
    untrained = heldout_loss(type(gpt.model)(gpt.model.config), gpt.tokenizer, data.decode("utf-8")[-200_000:])
    assert untrained > stated + 2  # the number means something: an untrained model is near ln(72) = 4.28


def test_a_corrupted_copy_is_refused_before_it_is_read(tmp_path):
    for name, load in [("shakespeare_char_gpt.pt", load_shakespeare_gpt), ("translator_en_es.pt", load_shipped_translator)]:
        copy = tmp_path / name
        shutil.copy(shipped_path(name), copy)
        load(copy)  # an exact copy is accepted
        data = bytearray(copy.read_bytes())
        data[len(data) // 2] ^= 0x01  # one bit of one weight
        copy.write_bytes(bytes(data))
        with pytest.raises(ShippedFileError, match=rf"{name}.*sha256.*not the published"):
            load(copy)
    with pytest.raises(FileNotFoundError):
        load_shakespeare_gpt(tmp_path / "missing.pt")


def test_files_are_read_with_weights_only(tmp_path):
    """A file holding a pickled Python object is refused even when its sha256 is the one asked for."""
    path = tmp_path / "evil.pt"
    torch.save({"format": "x", "payload": pathlib.Path("/")}, path)
    with pytest.raises(pickle.UnpicklingError):
        load_shakespeare_gpt(path, sha256=hashlib.sha256(path.read_bytes()).hexdigest())


def test_the_shipped_translator_translates_held_out_sentences():
    from course_lib.data import synthetic_pairs
    from course_lib.transformer import bleu, translate, translate_batch

    model, en, es = load_shipped_translator()
    pairs = synthetic_pairs(20, seed=1)  # the held-out stories of 08
    assert bleu(translate_batch(model, en, es, [a for a, _ in pairs]), [b for _, b in pairs]) > 90
    out = translate(model, en, es, pairs[0][0], need_weights=True)
    assert out.output_tokens[-1] == "<eos>" and len(out.attentions.cross) == model.config.decoder_layers


def test_bad_names():
    with pytest.raises(ValueError, match="filename must be one of"):
        shipped_path("gpt2.pt")
