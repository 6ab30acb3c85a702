"""course_lib.tokenization.wordpiece against Hugging Face tokenizers on all-MiniLM-L6-v2's real vocabulary."""

from __future__ import annotations

import pathlib
import random
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course_lib.tokenization import (
    WordPieceTokenizer,
    load_minilm_tokenizer,
    load_minilm_vocab,
    minilm_tokenizer_json,
)
from course_lib.tokenization.installed import installed_file
from course_lib.tokenization.wordpiece import normalize, pre_tokenize

SHAKESPEARE = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "tinyshakespeare.txt"
TOY = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "play", "##ing", "##s", "a", "##a",
       ".", ",", "!"]
HOSTILE = [
    "", " ", "   \t\n  ", "Café naïve RÉSUMÉ Ångström façade jalapeño", "ΟΔΟΣ ΣΑΣ", "İstanbul ǅ ß ﬁ Ⅻ",
    "😀👍🏽 emoji 🇫🇷 👩‍👩‍👧 ❤️", "x" * 100, "x" * 101, "é" * 101, "supercalifragilisticexpialidocious" * 3,
    "!!!???...,,,;;;---", "$100 + 5^2 = <tag> `x` | ~ @user #hash", "中文字符 日本語のテキスト 한국어 漢字ABC",
    "\x00\x01 control\x7f chars\u200b\u200d\ufeff zero-width", "\ufffd replacement", "tab\tnew\nline\r\n",
    "\u00a0nbsp\u2028line\u2029para\u3000ideographic\u2009thin", "\U00020000 \U0002a6d6 ext-B", "a\u0301b\u0327c",
    "\x1c\x1d\x1e\x1f\x85\x0b\x0c", "① ² ½ ™ © ®", "\ue000 private \U000e0001 tag", "'quotes' «guillemets» „Anführung“",
    "don't it's O'Neil", "e-mail@example.com https://x.org/a?b=c", "1,000,000.50 3.14 -42 1e9", "Ǆemo ǉ",
    "Привет, мир! Ёлка", "مرحبا بالعالم", "नमस्ते दुनिया", "สวัสดีครับ", "Hello\u0300\u0301\u0302", "A" * 250,
]


def _unicode_3_2_stable(c: str) -> bool:
    """Assigned since Unicode 3.2 with an unchanged category: both implementations agree on these."""
    return unicodedata.ucd_3_2_0.category(c) not in ("Cn", "Cs") and unicodedata.ucd_3_2_0.category(c) == \
        unicodedata.category(c)


STABLE = st.characters(min_codepoint=0, max_codepoint=0x2FFFF).filter(_unicode_3_2_stable)
EMOJI = st.sampled_from(list("😀👍🏽🇫🇷❤️‍🔥🧑‍💻"))


@pytest.fixture(scope="module")
def ours():
    try:
        return load_minilm_tokenizer()
    except ImportError as err:
        pytest.skip(f"all-MiniLM-L6-v2 is not installed ({err})")


@pytest.fixture(scope="module")
def hf(ours):
    tokenizers = pytest.importorskip("tokenizers", reason="Hugging Face tokenizers is the reference here")
    tok = tokenizers.Tokenizer.from_str(minilm_tokenizer_json())
    tok.no_truncation()
    tok.no_padding()
    return tok


def hf_ids(hf, text: str, specials: bool = False) -> list[int]:
    """Hugging Face's ids without [CLS]/[SEP]; specials=False reads "[MASK]" in the text as plain text."""
    hf.encode_special_tokens = not specials
    return hf.encode(text, add_special_tokens=False).ids


# ------------------------------------------------------------------ the real vocabulary, against Hugging Face

def test_vocabulary_is_minilms(ours, hf):
    vocab = load_minilm_vocab()
    assert len(vocab) == ours.vocab_size == hf.get_vocab_size() == 30522
    assert {t: i for i, t in enumerate(vocab)} == hf.get_vocab()
    assert vocab[100] == "[UNK]" and ours.special_tokens == {"[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102,
                                                             "[MASK]": 103}


def test_tiny_shakespeare_token_for_token(ours, hf):
    if not SHAKESPEARE.is_file():
        pytest.skip(f"Tiny Shakespeare not found at {SHAKESPEARE}")
    text = SHAKESPEARE.read_text(encoding="utf-8")
    start = random.Random(0).randrange(len(text) - 40_000)
    for part in (text[:40_000], text[start:start + 40_000]):  # about 7,000 words each
        assert len(part.split()) > 1000
        assert ours.tokenize(part) == hf.encode(part, add_special_tokens=False).tokens
        assert ours.encode(part) == hf_ids(hf, part)


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_strings(ours, hf, text):
    assert ours.encode(text) == hf_ids(hf, text)
    assert ours.decode(ours.encode(text)) == hf.decode(ours.encode(text), skip_special_tokens=False)


def test_special_tokens_only_when_allowed(ours, hf):
    text = "hello [MASK] world [CLS][SEP] [PAD]x [UNK]"
    assert ours.encode(text) == hf_ids(hf, text)  # plain text: "[", "mask", "]"
    assert 103 not in ours.encode(text)
    assert ours.encode(text, allowed_special="all") == hf_ids(hf, text, specials=True)
    assert ours.encode(text, allowed_special=["[MASK]"]).count(103) == 1 and 101 not in ours.encode(text, "[MASK]")


def test_long_words_and_unknown_words(ours, hf):
    assert ours.tokenize("a" * 100) != ["[UNK]"] and ours.tokenize("a" * 101) == ["[UNK]"]
    # greedy, not the "best" split: "una" is taken first, so "##ffa" + "##ble" follow
    assert ours.tokenize("unaffable") == ["una", "##ffa", "##ble"] == hf.encode("unaffable").tokens[1:-1]
    assert ours.tokenize("☃☃") == ["[UNK]"]  # one piece missing: the whole word is [UNK]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(STABLE, EMOJI, st.sampled_from(" \t\n.,!'-")), max_size=40).map("".join))
def test_random_text_equals_hugging_face(ours, hf, text):
    assert ours.encode(text) == hf_ids(hf, text)


def test_decode_equals_hugging_face_on_random_ids(ours, hf):
    rng = random.Random(0)
    for _ in range(200):
        ids = [rng.randrange(ours.vocab_size) for _ in range(rng.randrange(12))]
        assert ours.decode(ids) == hf.decode(ids, skip_special_tokens=False), ids


# ------------------------------------------------------------------ the algorithm on a toy vocabulary

def test_greedy_longest_match_first_by_hand():
    tok = WordPieceTokenizer.from_vocab(TOY)
    assert tok.tokenize("Unaffable playings!") == ["un", "##aff", "##able", "play", "##ing", "##s", "!"]
    assert tok.tokenize("unx aaa") == ["[UNK]", "a", "##a", "##a"]
    assert tok.decode(tok.encode("playing, unaffable.")) == "playing, unaffable."
    assert normalize("Ça\u00a0VA\x00\t中文") == "ca va  中  文 " and pre_tokenize("a,b  c!") == ["a", ",", "b", "c", "!"]


def test_vocab_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(TOY) + "\n", encoding="utf-8")
    assert WordPieceTokenizer.from_vocab(path).tokens == TOY == WordPieceTokenizer.from_vocab(str(path)).tokens


def test_bad_input_names_the_argument(tmp_path):
    tok = WordPieceTokenizer(TOY)
    with pytest.raises(ValueError, match=r"unk_token='\[UNK\]' is not in the vocabulary"):
        WordPieceTokenizer(["a", "b"])
    with pytest.raises(TypeError, match="vocab must be a list"):
        WordPieceTokenizer(42)
    with pytest.raises(ValueError, match="vocab contains duplicates"):
        WordPieceTokenizer(TOY + ["a"])
    with pytest.raises(ValueError, match="vocab must hold non-empty strings"):
        WordPieceTokenizer(TOY + [""])
    with pytest.raises(FileNotFoundError, match="vocab=.*missing.txt.*is not a file"):
        WordPieceTokenizer.from_vocab(tmp_path / "missing.txt")
    with pytest.raises(TypeError, match="text must be a str, got NoneType"):
        tok.encode(None)
    with pytest.raises(TypeError, match=r"text must be a str, got bytes.*decode"):
        tok.tokenize(b"play")
    with pytest.raises(ValueError, match=f"ids contains 99, expected 0 <= id < vocab_size={len(TOY)}"):
        tok.decode([5, 99])
    with pytest.raises(ValueError, match="max_chars must be a positive int"):
        WordPieceTokenizer(TOY, max_chars=0)
    with pytest.raises(ValueError, match=r"allowed_special contains unknown special tokens \['<eos>'\]"):
        tok.encode("a", allowed_special="<eos>")
    with pytest.raises(ValueError, match="tok='zebra' is not in the vocabulary"):
        tok.token_to_id("zebra")


def test_a_missing_package_is_named_with_the_install_command():
    with pytest.raises(ImportError, match=r"'no-such-course-package'.*pip install -e \"\.\[real\]\""):
        installed_file("no-such-course-package", "model.zip")
