"""course_lib.data: the synthetic stories, load_corpus against a local HTTP server, LM batches."""

from __future__ import annotations

import hashlib
import http.client
import http.server
import pathlib
import random
import re
import socket
import threading
import time
from typing import ClassVar

import pytest
import torch

from course_lib.data import (
    LEXICON,
    REGISTRY,
    Frame,
    Mention,
    corpora,
    load_corpus,
    random_batches,
    realise_english,
    story_frames,
    synthetic_corpus,
    synthetic_stories,
    train_val_split,
    word_categories,
    words_in,
)

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "tiny_corpus.txt"
FIXTURE_SHA256 = "e2d6f8563d1f3ebd2fa758beef4557c117ef7e1e1e8a25f3f6eb968037145b0a"
NUMBER_WORDS = {"two", "three", "four", "five"}


# ----------------------------------------------------------------------------- synthetic stories
def test_same_seed_same_stories_and_prefix_stable():
    assert synthetic_stories(30, seed=3) == synthetic_stories(30, seed=3)
    assert synthetic_stories(30, seed=3) != synthetic_stories(30, seed=4)
    assert synthetic_stories(30, seed=3)[:10] == synthetic_stories(10, seed=3)


def test_global_random_state_untouched():
    random.seed(123)
    state = random.getstate()
    synthetic_stories(20, seed=1)
    assert random.getstate() == state


def test_corpus_format_one_sentence_per_line_blank_line_between_stories():
    stories = synthetic_stories(25, seed=2)
    text = synthetic_corpus(25, seed=2)
    assert text.endswith("\n") and not text.endswith("\n\n")
    blocks = text.rstrip("\n").split("\n\n")
    assert [block.split("\n") for block in blocks] == stories
    for line in (s for story in stories for s in story):
        assert re.fullmatch(r"[A-Z][a-z]*(,? [A-Za-z]+)*,? ?[a-zA-Z]*\.", line), line


def test_stories_have_beginning_middle_and_end():
    for story in synthetic_stories(200, seed=5):
        assert 4 <= len(story) <= 16, story
        assert " home" in story[-1] or " home" in story[-2], story  # the ending goes home
        first = story[0] if not story[0].startswith("It ") else story[1]
        assert " to the " in first, story                            # the beginning goes somewhere


def _tokens(sentence: str) -> list[str]:
    return re.findall(r"[A-Za-z]+", sentence)


def test_things_are_introduced_with_a_before_the():
    """Objects, animals, food and landmarks: the first mention is indefinite, later ones may use 'the'."""
    cats = word_categories()
    adjectives = {w for w, c in cats.items() if c in ("colour", "size", "quality", "setting", "weather", "feeling")}
    lemma_of = {LEXICON[k].plural: k for k in LEXICON if LEXICON[k].pos == "noun"}
    for story in synthetic_stories(300, seed=7):
        seen: set[str] = set()
        for sentence in story:
            toks = [t.lower() for t in _tokens(sentence)]
            for i, tok in enumerate(toks):
                lemma = lemma_of.get(tok, tok)
                if cats.get(tok) not in ("object", "animal", "food", "landmark") or lemma in seen:
                    continue
                j = i - 1
                while toks[j] in adjectives:
                    j -= 1
                assert toks[j] in {"a", "an"} | NUMBER_WORDS, f"first mention of {tok!r} in {sentence!r}: {story}"
                seen.add(lemma)


def test_pronouns_refer_to_someone_already_named():
    female = set(words_in("person")[:10])
    assert all(LEXICON[n].gender == "f" for n in female)
    for story in synthetic_stories(300, seed=8):
        names: set[str] = set()
        for sentence in story:
            toks = _tokens(sentence)
            if {"she", "her", "She"} & set(toks):
                assert names & female, story
            if {"he", "him", "He"} & set(toks):
                assert names - female, story
            names |= {t for t in toks if LEXICON.get(t) is not None and LEXICON[t].pos == "name"}


def test_a_story_keeps_its_protagonist():
    for story in synthetic_stories(200, seed=9):
        names = [{t for t in _tokens(s) if t in LEXICON and LEXICON[t].pos == "name"} for s in story]
        all_names = set().union(*names)
        assert 1 <= len(all_names) <= 3, story  # the hero (or two) and at most one friend


@pytest.mark.parametrize("frame, expected", [
    (Frame("walk", "past", Mention("Maria", gender="f"), complements=(("to", Mention("garden", adjectives=("old",), definite=True)),),
           opener="one morning"), "One morning, Maria walked to the old garden."),
    (Frame("find", "past", Mention("Maria", gender="f", pronoun=True), obj=Mention("ball", adjectives=("small", "red"))),
     "She found a small red ball."),
    (Frame("walk", "present", Mention("Maria", gender="f")), "Maria walks."),
    (Frame("go", "present", Mention("and", number="pl", members=(Mention("Tom", gender="m"), Mention("Anna", gender="f"))),
           adverb="home"), "Tom and Anna go home."),
    (Frame("find", "present", Mention("Tom", gender="m", pronoun=True), obj=Mention("box", "pl", count=3, adjectives=("orange",))),
     "He finds three orange boxes."),
    (Frame("be", "past", Mention("mouse", "pl", definite=True), predicate="happy"), "The mice were happy."),
    (Frame("be", "present", Mention("cherry", "pl", pronoun=True), predicate="dirty"), "They are dirty."),
    (Frame("be", "past", Mention("it", pronoun=True), obj=Mention("morning", adjectives=("sunny",))), "It was a sunny morning."),
    (Frame("give", "past", Mention("Leo", gender="m"), obj=Mention("umbrella"),
           complements=(("to", Mention("Emma", gender="f", pronoun=True)),), opener="then"), "Then Leo gave an umbrella to her."),
    (Frame("hurry", "present", Mention("dog", definite=True), complements=(("to", Mention("x", "pl", pronoun=True)),)),
     "The dog hurries to them."),
])
def test_english_realisation_of_hand_made_frames(frame, expected):
    assert realise_english(frame) == expected


def test_lexicon_regular_forms():
    assert (LEXICON["box"].plural, LEXICON["cherry"].plural, LEXICON["day"].plural) == ("boxes", "cherries", "days")
    assert (LEXICON["hurry"].past, LEXICON["play"].past, LEXICON["stroll"].past) == ("hurried", "played", "strolled")
    assert (LEXICON["go"].third, LEXICON["carry"].third, LEXICON["wash"].third) == ("goes", "carries", "washes")


def test_vocabulary_is_a_few_hundred_words_and_categories_are_used():
    text = synthetic_corpus(1000, seed=0)
    words = set(re.findall(r"[a-z]+", text.lower()))
    assert 200 <= len(words) <= 600
    cats = word_categories()
    for category in ("person", "animal", "object", "colour", "place", "motion", "feeling"):
        members = {w.lower() for w, c in cats.items() if c == category}
        assert len(members & words) >= 0.8 * min(len(members), 10), category


def test_generation_is_fast():
    start = time.process_time()
    synthetic_stories(2000, seed=0)
    assert time.process_time() - start < 2.0  # about 0.3 s of CPU; 10k stories take about 1.3 s


@pytest.mark.parametrize("kwargs", [{"n_stories": -1}, {"n_stories": 2.5}, {"n_stories": 3, "seed": "a"}])
def test_bad_arguments_are_named(kwargs):
    name = next(k for k, v in kwargs.items() if not isinstance(v, int) or v < 0)
    with pytest.raises(ValueError, match=name):
        story_frames(**kwargs)


def test_bad_category_and_tense():
    with pytest.raises(ValueError, match="category"):
        words_in("planets")
    with pytest.raises(ValueError, match="tense"):
        realise_english(Frame("walk", "future", Mention("Tom", gender="m")))


# ----------------------------------------------------------------------------- load_corpus
class _Handler(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self):
        type(self).hits.append(self.path)
        body = FIXTURE.read_bytes()
        if self.path == "/missing.txt":
            self.send_error(404)
            return
        if self.path in ("/drip.txt", "/endless.txt"):  # one byte every 0.1 s, or more bytes than promised
            self.send_response(200)
            if self.path == "/drip.txt":
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for i in range(len(body) if self.path == "/drip.txt" else 10**6):
                    self.wfile.write(body[i:i + 1] if self.path == "/drip.txt" else body)
                    self.wfile.flush()
                    time.sleep(0.1 if self.path == "/drip.txt" else 0)
            except OSError:  # the client gave up
                pass
            return
        self.send_response(200)
        extra = {"/truncated.txt": 100, "/big.txt": 10**9}.get(self.path, 0)  # a promise the body does not keep
        self.send_header("Content-Length", str(len(body) + extra))
        self.end_headers()
        self.wfile.write(body)  # /truncated.txt promises 100 more bytes and closes: a broken download

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture()
def server():
    _Handler.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Handler.hits
    httpd.shutdown()
    httpd.server_close()


def _load(url, tmp_path, sha=FIXTURE_SHA256, **kw):
    return load_corpus("tinyshakespeare", cache_dir=tmp_path, url=url, sha256=sha, timeout=5, n_stories=5, **kw)


def test_fixture_checksum_is_right():
    assert hashlib.sha256(FIXTURE.read_bytes()).hexdigest() == FIXTURE_SHA256


def test_download_then_cache(server, tmp_path, capsys):
    base, hits = server
    first = _load(base + "/tiny.txt", tmp_path)
    assert first.source == "download" and first.text == FIXTURE.read_text() and first.name == "tinyshakespeare"
    assert (tmp_path / REGISTRY["tinyshakespeare"].filename).read_bytes() == FIXTURE.read_bytes()
    second = _load(base + "/tiny.txt", tmp_path)
    assert second.source == "cache" and second.text == first.text
    assert hits == ["/tiny.txt"]  # the second call never reached the server
    assert capsys.readouterr().out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [REGISTRY["tinyshakespeare"].filename]


def _assert_fallback(corpus, tmp_path, capsys):
    assert corpus.source == "synthetic fallback" and corpus.name == "synthetic"
    assert corpus.text == synthetic_corpus(5)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "synthetic" in out and "Traceback" not in out
    assert list(tmp_path.iterdir()) == []  # nothing cached, no partial file left behind
    return out


def test_bad_checksum_falls_back_and_caches_nothing(server, tmp_path, capsys):
    base, hits = server
    _assert_fallback(_load(base + "/tiny.txt", tmp_path, sha="0" * 64), tmp_path, capsys)
    assert hits == ["/tiny.txt"]


@pytest.mark.parametrize("path", ["/truncated.txt", "/missing.txt"])
def test_broken_download_leaves_no_partial_file(server, tmp_path, capsys, path):
    base, _ = server
    _assert_fallback(_load(base + path, tmp_path), tmp_path, capsys)


def test_unreachable_server_falls_back(tmp_path, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _assert_fallback(_load(f"http://127.0.0.1:{port}/tiny.txt", tmp_path), tmp_path, capsys)


def test_corrupted_cache_is_fetched_again(server, tmp_path):
    base, hits = server
    cached = tmp_path / REGISTRY["tinyshakespeare"].filename
    cached.write_text("half a file")
    corpus = _load(base + "/tiny.txt", tmp_path)
    assert corpus.source == "download" and hits == ["/tiny.txt"]
    assert cached.read_bytes() == FIXTURE.read_bytes()


def test_failed_cache_write_removes_temp_file_and_still_returns_text(server, tmp_path, monkeypatch):
    base, _ = server

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(corpora.os, "replace", broken_replace)
    corpus = _load(base + "/tiny.txt", tmp_path)
    assert corpus.source == "download" and corpus.text == FIXTURE.read_text() and corpus.path is None
    assert list(tmp_path.iterdir()) == []


def test_cache_dir_from_environment(server, tmp_path, monkeypatch):
    base, _ = server
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "env"))
    corpus = load_corpus("tinyshakespeare", url=base + "/tiny.txt", sha256=FIXTURE_SHA256, n_stories=5)
    assert pathlib.Path(corpus.path).parent == tmp_path / "env"


def test_a_dripping_server_hits_the_deadline_quickly(server, tmp_path, capsys):
    """A byte every 0.1 s never trips a 5 s per-read timeout; the total deadline of 1 s ends it."""
    base, _ = server
    start = time.monotonic()
    corpus = _load(base + "/drip.txt", tmp_path, deadline=1.0)
    assert time.monotonic() - start < 4.0
    assert "longer than its deadline of 1 s" in _assert_fallback(corpus, tmp_path, capsys)


def test_a_body_larger_than_the_known_size_is_refused(server, tmp_path, capsys):
    base, hits = server
    size = len(FIXTURE.read_bytes())
    corpus = _load(base + "/big.txt", tmp_path, size=size)  # Content-Length says 1 GB: refused before reading
    assert f"more than the {size:,} expected" in _assert_fallback(corpus, tmp_path, capsys)
    start = time.monotonic()
    corpus = _load(base + "/endless.txt", tmp_path, size=size)  # no Content-Length, bytes without end
    assert "sent more than the" in _assert_fallback(corpus, tmp_path, capsys) and time.monotonic() - start < 5
    ok = _load(base + "/tiny.txt", tmp_path, size=size)  # the exact size passes
    assert ok.source == "download" and hits[-1] == "/tiny.txt"


def test_the_download_streams_to_disk_in_chunks(server, tmp_path, monkeypatch):
    """The response is read a chunk at a time into the temporary file, never read whole."""
    base, _ = server
    from course_lib.data import download

    monkeypatch.setattr(download, "CHUNK", 1000)
    reads = []
    real = http.client.HTTPResponse.read1

    def counting(self, n=-1):
        reads.append(n)
        return real(self, n)

    monkeypatch.setattr(http.client.HTTPResponse, "read1", counting)
    monkeypatch.setattr(http.client.HTTPResponse, "read", lambda self, *a: pytest.fail("read the whole body"))
    corpus = _load(base + "/tiny.txt", tmp_path)
    assert corpus.source == "download" and len(reads) >= len(FIXTURE.read_bytes()) // 1000
    assert set(reads) == {1000}


def test_synthetic_by_name_and_bad_arguments(tmp_path):
    corpus = load_corpus("synthetic", n_stories=4)
    assert corpus.source == "synthetic" and corpus.text == synthetic_corpus(4)
    with pytest.raises(ValueError, match="tinyshakespeare"):
        load_corpus("wikitext-404")
    with pytest.raises(ValueError, match="url"):
        load_corpus("tinyshakespeare", cache_dir=tmp_path, url="ftp://example.org/x.txt")
    with pytest.raises(ValueError, match="timeout"):
        load_corpus("tinyshakespeare", cache_dir=tmp_path, timeout=0)
    with pytest.raises(ValueError, match="deadline must be a positive number of seconds, got 0"):
        load_corpus("tinyshakespeare", cache_dir=tmp_path, deadline=0)
    with pytest.raises(ValueError, match=r"n_stories must be an int >= 1 \(the stories of the synthetic corpus\), got 0"):
        load_corpus("synthetic", n_stories=0)


# ----------------------------------------------------------------------------- batches
def test_random_batches_are_windows_and_next_tokens():
    ids = torch.arange(1000, 1050)
    g = torch.Generator().manual_seed(0)
    x, y = random_batches(ids, max_len=8, batch_size=400, generator=g)
    assert x.shape == y.shape == (400, 8) and x.dtype == ids.dtype
    starts = set()
    for row_x, row_y in zip(x.tolist(), y.tolist()):
        s = row_x[0] - 1000
        assert row_x == ids[s:s + 8].tolist() and row_y == ids[s + 1:s + 9].tolist()
        starts.add(s)
    assert starts == set(range(50 - 8))  # every window, including the last one, can be drawn
    again = random_batches(ids, 8, 400, torch.Generator().manual_seed(0))
    assert torch.equal(again[0], x)


def test_train_val_split():
    ids = torch.randint(0, 9, (101,))
    train, val = train_val_split(ids, val_fraction=0.2)
    assert len(val) == 20 and torch.equal(torch.cat([train, val]), ids)


@pytest.mark.parametrize("ids, kwargs, match", [
    (torch.arange(10.0), {}, "ids"),
    (torch.arange(10).view(2, 5), {}, "ids"),
    ([1, 2, 3], {}, "ids"),
    (torch.arange(10), {"max_len": 10}, "max_len"),
    (torch.arange(10), {"generator": 0}, "generator"),
    (torch.arange(10), {"batch_size": 0}, "batch_size"),
])
def test_random_batches_bad_input(ids, kwargs, match):
    args = {"max_len": 4, "batch_size": 2} | kwargs
    with pytest.raises((ValueError, TypeError), match=match):
        random_batches(ids, **args)


def test_train_val_split_bad_input():
    with pytest.raises(ValueError, match="val_fraction"):
        train_val_split(torch.arange(10), val_fraction=1.0)
    with pytest.raises(ValueError, match="ids"):
        train_val_split(torch.arange(1), val_fraction=0.5)
