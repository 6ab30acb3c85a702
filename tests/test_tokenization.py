"""course_lib.tokenization against slow reference versions and against tiktoken."""

from __future__ import annotations

import json
import os
import pathlib
import random
import string
import time
from collections import Counter
from itertools import pairwise

import matplotlib.pyplot as plt
import pytest
import regex
import tiktoken
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course_lib.plots.tokenization import plot_encode_steps, tokens_html, visible
from course_lib.tokenization import (
    PATTERNS,
    SPECIAL_TOKENS,
    WHOLE_TEXT,
    BPETokenizer,
    CharTokenizer,
    WordTokenizer,
    count_pairs,
    encode_chunk,
    encode_chunk_naive,
    merge_pair,
)
from course_lib.widgets.tokenization import merge_stepper, token_explorer

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ENGLISH = """First Citizen: Before we proceed any further, hear me speak.
All: Speak, speak. We're resolved rather to die than to famish? You'll see: they've 12 loaves, 1999 coins!
   Indented   line with   runs of spaces\tand\ttabs.\n\n\nThree newlines above; "quotes" and (brackets) -- dashes...
"""
UNICODE = "Über naïve café, Straße. Привет, мир! Γειά σου. 日本語のテキスト、中文字符。 😀👍🏽 🇫🇷 e\u0301 ﬁne\r\n"
CORPUS = (ENGLISH * 6 + UNICODE * 4 + "def f(x):\n    return x ** 2  # code\n" * 3)
VARIED = ["", " ", "a", "Hello, world!", "hello world  ", "  leading spaces", "trailing\n\n", "\n\n\n",
          "tabs\tand\r\nwindows", "don't you'll we've I'M", "1234567890 3.14159 1,000,000",
          "emoji 😀👍🏽🇫🇷 and zwj 👩‍👩‍👧", "中文字符 日本語 한국어", "e\u0301 vs é", "\u00a0nbsp\u2028line sep",
          "x" * 50, "ab" * 40 + "  " * 20, "Before we proceed any further, hear me speak.", "\x00\x1f\x7f"]


def reference_train(text: str, vocab_size: int, pattern: str | None, n_special: int = len(SPECIAL_TOKENS)):
    """The obviously correct trainer: recount every pair of every chunk after each merge."""
    chunks = [list(c.encode("utf-8")) for c in regex.findall(pattern or WHOLE_TEXT, text)]
    vocab = {i: bytes([i]) for i in range(256)}
    merges = {}
    while len(vocab) < vocab_size - n_special:
        counts = Counter()
        for ch in chunks:
            for i in range(len(ch) - 1):
                counts[(ch[i], ch[i + 1])] += 1
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))  # most frequent, then smallest ids
        joined = vocab[pair[0]] + vocab[pair[1]]
        new_id = next((i for i, b in vocab.items() if b == joined), len(vocab))
        vocab[new_id] = joined
        merges[pair] = new_id
        for k, ch in enumerate(chunks):
            out, i = [], 0
            while i < len(ch):
                if ch[i:i + 2] == list(pair):
                    out.append(new_id)
                    i += 2
                else:
                    out.append(ch[i])
                    i += 1
            chunks[k] = out
    return merges


def as_tiktoken(tok: BPETokenizer) -> tiktoken.Encoding:
    ranks = {token_bytes: i for i, token_bytes in tok.vocab.items()}
    return tiktoken.Encoding(name="test", pat_str=tok.pattern or r"[\s\S]+", mergeable_ranks=ranks,
                             special_tokens={s: tok.vocab_size - len(SPECIAL_TOKENS) + k
                                             for k, s in enumerate(SPECIAL_TOKENS)})


def tiktoken_split(pattern: str, text: str) -> list[bytes]:
    """How tiktoken pre-splits `text`: give it every substring as a token, so each chunk merges whole."""
    data = text.encode("utf-8")
    ranks = {bytes([i]): i for i in range(256)}
    for piece in sorted({data[i:j] for i in range(len(data)) for j in range(i + 2, len(data) + 1)}, key=len):
        ranks.setdefault(piece, len(ranks))
    enc = tiktoken.Encoding(name="split", pat_str=pattern, mergeable_ranks=ranks, special_tokens={})
    return [enc.decode_single_token_bytes(t) for t in enc.encode_ordinary(text)]


BPE_GPT2 = BPETokenizer.train(CORPUS, 500)
BPE_NONE = BPETokenizer.train(CORPUS[:3000], 350, pattern=None)


@pytest.fixture(scope="module", params=["gpt2", "gpt4", None])
def bpe(request):
    return BPETokenizer.train(CORPUS, 400, pattern=request.param)


# ------------------------------------------------------------------ character and word tokenizers

def test_char_tokenizer_specials_first_and_unknowns():
    tok = CharTokenizer.train("hello world")
    assert tok.tokens[:len(SPECIAL_TOKENS)] == list(SPECIAL_TOKENS) and tok.token_to_id("[PAD]") == 0
    assert tok.vocab_size == len(SPECIAL_TOKENS) + len(set("hello world"))
    ids = tok.encode("hold!")
    assert [tok.id_to_token(i) for i in ids] == ["h", "o", "l", "d", "[UNK]"]
    assert tok.decode(tok.encode("world hello")) == "world hello"


@FAST
@given(st.text(min_size=1, max_size=60))
def test_char_round_trip(text):
    tok = CharTokenizer.train(text)
    assert tok.decode(tok.encode(text)) == text and len(tok.encode(text)) == len(text)


def test_word_tokenizer_vocabulary_order_and_unknowns():
    tok = WordTokenizer.train(["The cat sat. The cat ran!", "A dog sat."])
    words = tok.tokens[len(SPECIAL_TOKENS):]
    counts = Counter(w.lower() for w in ["The", "cat", "sat", ".", "The", "cat", "ran", "!", "A", "dog", "sat", "."])
    assert words == sorted(counts, key=lambda w: (-counts[w], w))
    assert tok.counts == dict(counts)
    assert tok.tokenize("The BIRD sat.") == ["the", "bird", "sat", "."]
    assert tok.encode("The BIRD sat.") == [tok.token_to_id("the"), 1, tok.token_to_id("sat"), tok.token_to_id(".")]
    assert tok.decode(tok.encode("the cat sat . the dog ran !")) == "the cat sat. the dog ran!"


def test_word_tokenizer_options():
    text = "a a a b b c. Don't [MASK] it"
    assert "don't" in WordTokenizer.train(text) and "[" not in WordTokenizer.train(text)
    assert WordTokenizer.train(text).encode("[MASK]") == [SPECIAL_TOKENS.index("[MASK]")]
    assert WordTokenizer.train(text, min_freq=2).tokens[len(SPECIAL_TOKENS):] == ["a", "b"]
    assert WordTokenizer.train(text, max_size=len(SPECIAL_TOKENS) + 1).tokens[-1] == "a"
    cased = WordTokenizer.train("Cat cat", lowercase=False)
    assert "Cat" in cased and cased.decode(cased.encode("cat Cat")) == "cat Cat"


@FAST
@given(st.lists(st.sampled_from(["the", "cat", "Sat", "x1", "don't", ".", ",", "!", "?"]), min_size=1, max_size=20),
       st.lists(st.sampled_from([" ", "", "  ", "\n"]), min_size=20, max_size=20))
def test_word_split_matches_a_simple_loop(words, gaps):
    text = "".join(w + g for w, g in zip(words, gaps))
    expected, in_word = [], False  # reference: runs of letters/digits (inner ' allowed) or one mark
    for i, ch in enumerate(text):
        inner_apostrophe = ch == "'" and in_word and text[i + 1:i + 2].isalnum()
        if ch.isalnum() or inner_apostrophe:
            if in_word:
                expected[-1] += ch
            else:
                expected.append(ch)
            in_word = True
        else:
            if not ch.isspace():
                expected.append(ch)
            in_word = False
    assert WordTokenizer.train(text).tokenize(text) == [w.lower() for w in expected]


# ------------------------------------------------------------------ BPE training

@pytest.mark.parametrize("text", ["aaabdaaabac", "low lower lowest newer wider", ENGLISH, UNICODE * 2])
@pytest.mark.parametrize("pattern", ["gpt2", "gpt4", None])
def test_fast_training_equals_reference(text, pattern):
    tok = BPETokenizer.train(text, 256 + 7 + 60, pattern=pattern)
    assert tok.merges == reference_train(text, 256 + 7 + 60, PATTERNS.get(pattern))


@FAST
@given(st.text(alphabet="ab c\n'é😀", max_size=60), st.integers(0, 40), st.sampled_from(["gpt2", None]))
def test_fast_training_equals_reference_random(text, n_merges, pattern):
    if not text:
        return
    tok = BPETokenizer.train(text, 256 + 7 + n_merges, pattern=pattern)
    assert tok.merges == reference_train(text, 256 + 7 + n_merges, PATTERNS.get(pattern))


def test_hand_checked_merges_on_a_tiny_string():
    tok = BPETokenizer.train("aaabdaaabac", 256 + 7 + 3, pattern=None)
    a, b = ord("a"), ord("b")
    # "aa" occurs 4 times; then "aa a" and "a b" tie at 2 and the smaller ids (a, b) win; then "aa ab"
    assert list(tok.merges) == [(a, a), (a, b), (256, 257)]
    assert [tok.vocab[i] for i in tok.merges.values()] == [b"aa", b"ab", b"aaab"]
    assert tok.encode("aaabdaaabac") == [258, ord("d"), 258, a, ord("c")]


def test_ids_layout_and_unique_bytes(bpe):
    assert bpe.vocab_size == 400 and len(bpe.vocab) == 400 - len(SPECIAL_TOKENS)
    assert list(bpe.merges.values()) == list(range(256, 256 + len(bpe.merges)))
    assert [bpe.token_to_id(s) for s in SPECIAL_TOKENS] == list(range(393, 400))
    assert len(set(bpe.vocab.values())) == len(bpe.vocab)


def test_pre_split_keeps_merges_inside_words():
    tok = BPETokenizer.train("hello world " * 50, 256 + 7 + 30)
    assert all(b" " not in tok.vocab[i][1:] for i in tok.merges.values())  # a space only ever leads
    joined = BPETokenizer.train("hello world " * 50, 256 + 7 + 30, pattern=None)
    assert any(b"o w" in joined.vocab[i] for i in joined.merges.values())


def test_training_stops_when_no_pair_is_left():
    tok = BPETokenizer.train("abab", 1000, pattern=None)
    assert [tok.vocab[i] for i in tok.merges.values()] == [b"ab", b"abab"]
    assert tok.vocab_size == 258 + len(SPECIAL_TOKENS)


def test_merges_that_rebuild_existing_bytes_reuse_the_id():
    a, b, c = b"abc"
    merges = {(a, b): 256, (b, c): 257, (256, c): 258, (a, 257): 258}  # "abc" reached twice
    tok = BPETokenizer(merges, pattern=None)
    assert tok.vocab_size == 259 + len(SPECIAL_TOKENS) and tok.encode("abc") == [258]
    with pytest.raises(ValueError, match="merges"):
        BPETokenizer({(a, b): 256, (b, c): 257, (256, c): 258, (a, 257): 259}, pattern=None)


def test_training_one_megabyte_style_corpus_is_fast():
    rng = random.Random(0)
    words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 9))) for _ in range(3000)]
    text = " ".join(rng.choice(words) for _ in range(40_000))  # ~220 KB
    start = time.perf_counter()
    BPETokenizer.train(text, 512)
    assert time.perf_counter() - start < 15, "training 220 KB to 512 tokens should take seconds"


# ------------------------------------------------------------------ BPE encoding: tiktoken is the oracle

@pytest.mark.parametrize("name", sorted(PATTERNS))
@FAST
@given(text=st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000aZé1²٣.'sStlL😀中\u0301_-ſK", max_size=14))
def test_pre_split_regex_equals_tiktoken(name, text):
    assert [c.encode() for c in regex.findall(PATTERNS[name], text)] == tiktoken_split(PATTERNS[name], text)


def test_encode_equals_tiktoken_on_varied_text(bpe):
    enc = as_tiktoken(bpe)
    for text in VARIED + [CORPUS]:
        assert bpe.encode(text) == enc.encode_ordinary(text), repr(text)
    assert bpe.to_tiktoken().encode(CORPUS) == enc.encode(CORPUS)


@FAST
@given(st.text(max_size=80))
def test_encode_equals_tiktoken_and_round_trips(text):
    for tok in (BPE_GPT2, BPE_NONE):
        ids = tok.encode(text)
        assert ids == as_tiktoken(tok).encode_ordinary(text)
        assert tok.decode(ids) == text



def test_special_tokens_only_when_allowed():
    text = "<bos>To be[SEP] or not<eos>"
    enc = as_tiktoken(BPE_GPT2)
    assert BPE_GPT2.encode(text) == enc.encode_ordinary(text)  # default: plain text
    assert BPE_GPT2.encode(text, allowed_special="all") == enc.encode(text, allowed_special="all")
    ids = BPE_GPT2.encode(text, allowed_special={"<eos>"})
    assert ids == enc.encode(text, allowed_special={"<eos>"}, disallowed_special=())
    assert ids[-1] == BPE_GPT2.token_to_id("<eos>") and BPE_GPT2.token_to_id("<bos>") not in ids
    assert BPE_GPT2.decode(BPE_GPT2.encode(text, allowed_special="all")) == text
    assert BPE_GPT2.tokenize("[CLS] hi", allowed_special="all")[0] == "[CLS]"


def test_encode_steps_replay_one_merge_at_a_time():
    text = "Before we proceed any further, hear me speak. 😀"
    steps = BPE_GPT2.encode_steps(text)
    assert steps[0] == list(text.encode("utf-8")) and steps[-1] == BPE_GPT2.encode(text)
    for before, after in pairwise(steps):
        assert len(after) == len(before) - 1 and BPE_GPT2.decode(after) == text
        i = next(k for k in range(len(after)) if after[k] != before[k])
        assert after[:i] == before[:i] and after[i + 1:] == before[i + 2:]
        assert BPE_GPT2.vocab[after[i]] == BPE_GPT2.vocab[before[i]] + BPE_GPT2.vocab[before[i + 1]]


def test_count_pairs_and_merge_pair_helpers():
    assert count_pairs([5, 5, 5, 6]) == {(5, 5): 2, (5, 6): 1}
    assert merge_pair([5, 5, 5, 6], (5, 5), 9) == [9, 5, 6]
    assert merge_pair([1, 2, 3, 1, 2], (1, 2), 7) == [7, 3, 7]


def test_save_load_round_trip(tmp_path, bpe):
    path = tmp_path / "tok.json"
    bpe.save(path)
    assert os.listdir(tmp_path) == ["tok.json"]  # no temporary file left behind
    data = json.loads(path.read_text())
    assert data["format"] == BPETokenizer.FORMAT and data["version"] == BPETokenizer.VERSION
    back = BPETokenizer.load(str(path))
    assert back.merges == bpe.merges and back.pattern == bpe.pattern and back.vocab == bpe.vocab
    assert back.special_tokens == bpe.special_tokens and back.encode(CORPUS) == bpe.encode(CORPUS)


# ------------------------------------------------------------------ encoding one chunk: naive, fast, tiktoken

def ranks_table(tokens: list[bytes], order: list[int]) -> dict[bytes, int]:
    """Every single byte plus `tokens`, ranked in any order (not only in the order BPE would learn them)."""
    table = [bytes([b]) for b in range(256)] + [t for t in dict.fromkeys(tokens) if len(t) > 1]
    return {t: r for t, r in zip(table, sorted(range(len(table)), key=lambda k: order[k % len(order)] * 1000 + k))}


def tiktoken_of(ranks: dict[bytes, int]) -> tiktoken.Encoding:
    return tiktoken.Encoding(name="ranks", pat_str=WHOLE_TEXT, mergeable_ranks=ranks, special_tokens={})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet="abcx", min_size=2, max_size=5).map(str.encode), max_size=25),
       st.lists(st.integers(0, 50), min_size=1, max_size=300), st.text(alphabet="aaabbcx", max_size=120))
def test_fast_chunk_encoder_equals_naive_and_tiktoken_on_any_ranks(tokens, order, text):
    ranks = ranks_table(tokens, order)
    data = text.encode()
    assert encode_chunk(data, ranks) == encode_chunk_naive(data, ranks) == tiktoken_of(ranks).encode_ordinary(text)


def test_a_merge_that_makes_a_lower_rank_goes_first():
    # "ab" is rank 500 but "xab" rank 5: after each "ab" merge the new pair (x, ab) must be merged at
    # once, before the next "ab", exactly as the naive rule and tiktoken do
    ranks = {bytes([b]): 1000 + b for b in range(256)} | {b"ab": 500, b"xab": 5, b"abx": 4, b"bx": 600}
    for text in ["xab" * 50, "abxab" * 30 + "x", "xabab" * 20, "ab" * 40 + "x"]:
        want = encode_chunk_naive(text.encode(), ranks)
        assert encode_chunk(text.encode(), ranks) == want == tiktoken_of(ranks).encode_ordinary(text), text
    # "aba" (rank 5) must take the "a" of the next "ab" before that "ab" (rank 500) is merged
    overlap = {bytes([b]): 1000 + b for b in range(256)} | {b"ab": 500, b"aba": 5}
    assert encode_chunk(b"ababab", overlap) == [5, 1000 + ord("b"), 500] == tiktoken_of(overlap).encode(
        "ababab") == encode_chunk_naive(b"ababab", overlap)
    del ranks[b"abx"]  # now every "ab" merge makes an "x ab" pair of lower rank
    start = time.perf_counter()
    assert encode_chunk(b"xab" * 70_000, ranks) == [5] * 70_000
    assert time.perf_counter() - start < 10, "200 KB whose every merge makes a lower rank took too long"


def test_a_long_chunk_without_spaces_is_fast():
    rng = random.Random(0)
    dna = "".join(rng.choice("ACGT") for _ in range(200_000))
    tok = BPETokenizer.train(dna[:20_000], 256 + 7 + 200, pattern=None)
    start = time.perf_counter()
    ids = tok.encode(dna)
    seconds = time.perf_counter() - start
    assert ids == as_tiktoken(tok).encode_ordinary(dna)
    assert seconds < 5, f"200,000 characters in one chunk took {seconds:.1f} s: encoding should be O(n log n)"
    assert encode_chunk_naive(dna[:3000].encode(), tok.mergeable_ranks) == tok.encode(dna[:3000])


def test_gpt4_pattern_is_tiktokens_cl100k():
    openai_public = pytest.importorskip("tiktoken_ext.openai_public", reason="tiktoken's recipes hold the regex")
    source = regex.search(r'"pat_str": r"""(.*?)"""', pathlib.Path(openai_public.__file__).read_text())
    assert source is not None and source.group(1) == PATTERNS["gpt4"]


# ------------------------------------------------------------------ bad input

def test_bad_training_input():
    with pytest.raises(ValueError, match="text"):
        BPETokenizer.train("", 300)
    with pytest.raises(ValueError, match="vocab_size.*263"):
        BPETokenizer.train("abc", 262)
    with pytest.raises(ValueError, match="vocab_size"):
        BPETokenizer.train("abc", 300.0)
    with pytest.raises(ValueError, match="pattern"):
        BPETokenizer.train("abc", 300, pattern="(unclosed")
    with pytest.raises(ValueError, match="text"):
        CharTokenizer.train("")
    with pytest.raises(ValueError, match="texts"):
        WordTokenizer.train(["", "   "])
    with pytest.raises(ValueError, match="min_freq"):
        WordTokenizer.train("a b", min_freq=0)
    with pytest.raises(ValueError, match="max_size"):
        WordTokenizer.train("a b", max_size=len(SPECIAL_TOKENS))


def test_unknown_tokens_are_named():
    with pytest.raises(ValueError, match=r"tok='\[FOO\]'"):
        BPE_GPT2.token_to_id("[FOO]")
    with pytest.raises(ValueError, match=r"allowed_special.*\[FOO\]"):
        BPE_GPT2.encode("hi", allowed_special={"[FOO]", "<eos>"})
    with pytest.raises(ValueError, match="tok='zebra'"):
        WordTokenizer.train("a cat").token_to_id("zebra")
    with pytest.raises(TypeError, match="text"):
        BPE_GPT2.encode(b"bytes")


@pytest.mark.parametrize("tok", [BPE_GPT2, CharTokenizer.train("abc"), WordTokenizer.train("a b")],
                         ids=["bpe", "char", "word"])
def test_decode_out_of_range(tok):
    for bad in ([-1], [tok.vocab_size], [0, 10**9]):
        with pytest.raises(ValueError, match=rf"ids contains {bad[-1]}.*vocab_size={tok.vocab_size}"):
            tok.decode(bad)
    with pytest.raises(TypeError, match="ids"):
        tok.decode([1.5])
    with pytest.raises(ValueError, match="^i contains"):
        tok.id_to_token(tok.vocab_size)
    assert tok.decode([tok.vocab_size - 1]) is not None  # the last id is fine


BAD_INPUTS = {  # what a student might pass, the error it must raise, and what the message must say
    "char encode an int": (lambda: CharTokenizer.train("abc").encode(123), TypeError, "text must be a str, got int 123"),
    "char tokenize None": (lambda: CharTokenizer.train("abc").tokenize(None), TypeError, "text must be a str, got NoneType"),
    "word encode bytes": (lambda: WordTokenizer.train("a b").encode(b"a b"), TypeError, r"text must be a str, got bytes.*decode"),
    "word train an int": (lambda: WordTokenizer.train(123), TypeError, "texts must be a str or a list of str, got int"),
    "word train a non-str item": (lambda: WordTokenizer.train(["a b", 5]), TypeError, "each of texts must be a str, got int"),
    "word min_freq True": (lambda: WordTokenizer.train("a b", min_freq=True), ValueError, "min_freq must be a positive int"),
    "word tokens not a list": (lambda: WordTokenizer(7), TypeError, "tokens must be a list of strings, got int"),
    "bpe decode a string": (lambda: BPE_GPT2.decode("hello"), TypeError, "ids must be a sequence of ints, got str"),
    "bpe decode a str id": (lambda: BPE_GPT2.decode([104, "105"]), TypeError, r"ids must contain ints, got '105'"),
    "bpe encode an int": (lambda: BPE_GPT2.encode(42), TypeError, "text must be a str, got int 42"),
    "bpe encode_steps None": (lambda: BPE_GPT2.encode_steps(None), TypeError, "text must be a str, got NoneType"),
    "bpe allowed_special int": (lambda: BPE_GPT2.encode("hi", allowed_special=5), TypeError,
                                'allowed_special must be "all", a special token or a list of them, got int 5'),
    "bpe specials as one string": (lambda: BPETokenizer.train("abc", 300, special_tokens="<eos>"), TypeError,
                                   "special_tokens must be a list of strings"),
    "bpe pattern a list": (lambda: BPETokenizer.train("abc", 300, pattern=["gpt2"]), TypeError,
                           r"pattern must be None, one of \['gpt2', 'gpt4'\] or a regex string, got list"),
    "bpe merges a list": (lambda: BPETokenizer([((97, 98), 256)]), TypeError, "merges must be a dict"),
    "bpe token_to_id an int": (lambda: BPE_GPT2.token_to_id(5), TypeError, "tok must be a str or bytes, got int 5"),
    "bpe id_to_token a str": (lambda: BPE_GPT2.id_to_token("5"), TypeError, "i must contain ints"),
    "bpe ranks missing bytes": (lambda: BPETokenizer.from_ranks({b"a": 0}, None), ValueError,
                                "mergeable_ranks must hold every single byte; 255 are missing"),
    "bpe ranks with str keys": (lambda: BPETokenizer.from_ranks({"a": 0}, None), TypeError,
                                r"mergeable_ranks must be a dict \{token bytes: id\}"),
    "bpe ranks with clashing ids": (lambda: BPETokenizer.from_ranks({bytes([b]): b for b in range(256)}, None,
                                                                    {"<eos>": 7}), ValueError, "must be distinct"),
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_gets_a_clear_error(name):
    call, error, message = BAD_INPUTS[name]
    with pytest.raises(error, match=message):
        call()


def test_save_into_a_missing_folder_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"path=.*nowhere.*the folder .* does not exist"):
        BPE_GPT2.save(tmp_path / "nowhere" / "tok.json")
    with pytest.raises(TypeError, match="path must be a str or a path, got int"):
        BPE_GPT2.save(3)
    assert os.listdir(tmp_path) == []


def test_from_ranks_equals_the_trained_tokenizer(bpe):
    again = BPETokenizer.from_ranks(bpe.mergeable_ranks, bpe.pattern, bpe.special_tokens)
    assert again.merges is None and again.vocab_size == bpe.vocab_size and again.vocab == bpe.vocab
    for text in VARIED + [CORPUS]:
        assert again.encode(text, allowed_special="all") == bpe.encode(text, allowed_special="all")
        assert again.decode(bpe.encode(text)) == text


def test_load_bad_files(tmp_path, bpe):
    good = tmp_path / "good.json"
    bpe.save(good)
    data = json.loads(good.read_text())
    cases = {"corrupt": good.read_text()[:-20], "format": json.dumps({**data, "format": "tiktoken"}),
             "version": json.dumps({**data, "version": 99}), "list": "[1, 2]",
             "damaged": json.dumps({**data, "merges": [[1, 2, 999]]})}
    messages = {"corrupt": "not valid JSON", "format": "format 'tiktoken'", "version": "version 99",
                "list": "format None", "damaged": "damaged"}
    for name, content in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(content)
        with pytest.raises(ValueError, match=rf"path=.*{name}\.json.*{messages[name]}"):
            BPETokenizer.load(path)


def test_a_chunk_that_is_a_token_is_taken_whole_like_tiktoken():
    a, b, c, d = b"abcd"
    # "bc" has the lowest id, so pair merging gets stuck at a|bc|d although "abcd" is a token
    tok = BPETokenizer({(b, c): 256, (a, b): 257, (c, d): 258, (257, 258): 259}, pattern="gpt2")
    enc = as_tiktoken(tok)
    for text in ["abcd", "abcd abcd", "xabcd", "abcdx"]:
        assert tok.encode(text) == enc.encode_ordinary(text)
    assert tok.encode("abcd") == [259] and tok.encode("xabcd") == [ord("x"), a, 256, d]
    assert tok.encode_steps("abcd") == [[a, b, c, d], [a, 256, d], [259]]


# ------------------------------------------------------------------ figures and explorers

def test_tokens_html_escapes_and_checks_lengths():
    out = tokens_html(["<b>", " x\n"], [3, 4])
    assert "&lt;b&gt;" in out and visible(" x\n") in out and "<b>" not in out and visible(" x\n") != " x\n"
    with pytest.raises(ValueError, match="2 tokens but 1 ids"):
        tokens_html(["a", "b"], [1])


def test_encode_steps_figure_shows_the_chosen_steps():
    text = "hear me speak"
    ax = plot_encode_steps(BPE_GPT2, text, rows=3)
    steps = BPE_GPT2.encode_steps(text)
    labels = [t.get_text() for t in ax.texts if t.get_text().startswith("step ")]
    assert labels == [f"step {k}: {len(steps[k])} tokens" for k in (0, round((len(steps) - 1) / 2), len(steps) - 1)]
    plt.close("all")


def test_explorers_follow_their_controls():
    box = merge_stepper(BPE_GPT2, "Before we proceed")
    assert box.controls["step"].max == len(BPE_GPT2.encode_steps("Before we proceed")) - 1
    box.controls["text"].value = "hear me speak, 😀"
    assert box.controls["step"].max == len(BPE_GPT2.encode_steps("hear me speak, 😀")) - 1
    box.controls["step"].value = box.controls["step"].max
    with pytest.raises(ValueError, match="tokenizers"):
        token_explorer({})
