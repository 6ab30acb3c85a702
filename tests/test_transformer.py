"""course_lib.transformer: agreement with torch.nn.Transformer, teacher forcing, decoding, text-level errors."""

from __future__ import annotations

import dataclasses
import itertools
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.tokenization import UNK_ID, WordTokenizer
from course_lib.transformer.model import DecoderCache
from course_lib.transformer import (
    Attentions,
    EncoderDecoder,
    TransformerConfig,
    beam_search,
    encode_pairs,
    greedy_decode,
    load_from_torch_transformer,
    load_translator,
    pad,
    preset,
    save_translator,
    sequence_log_prob,
    source_ids,
    torch_logits,
    torch_transformer,
    translate,
    translate_batch,
)

V_SRC, V_TGT, PAD, BOS, EOS = 19, 23, 0, 5, 6


def _config(**kw) -> TransformerConfig:
    base = dict(d_model=16, n_heads=2, d_ff=32, n_layers=2, max_len=12, dropout=0.0)
    return TransformerConfig(V_SRC, V_TGT, **{**base, **kw})


def _batch(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(7, V_SRC, (3, 9), generator=g)
    src[0, 6:] = PAD
    src[2, 4:] = PAD
    tgt = torch.randint(7, V_TGT, (3, 8), generator=g)
    tgt[:, 0] = BOS
    tgt[1, 5], tgt[1, 6:] = EOS, PAD
    return src, tgt


# ----------------------------------------------------------------------------- agreement with PyTorch
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_agrees_with_torch_transformer(norm_first, activation):
    torch.manual_seed(0)
    model = EncoderDecoder(_config(norm_first=norm_first, activation=activation, final_norm=True)).double().eval()
    reference = torch_transformer(model).double().eval()
    load_from_torch_transformer(model, reference)
    src, tgt = _batch()
    ours = model(src, tgt).logits
    torch.testing.assert_close(ours, torch_logits(model, reference, src, tgt, target_padding=False))
    real = tgt != PAD  # with target padding hidden too, real positions must not change
    torch.testing.assert_close(ours[real], torch_logits(model, reference, src, tgt)[real])
    logits, _ = model(src, tgt, need_weights=True)  # the readable attention path gives the same numbers
    torch.testing.assert_close(logits, ours)


def test_loss_is_teacher_forced_cross_entropy_ignoring_padding():
    torch.manual_seed(1)
    model = EncoderDecoder(_config()).double()
    src, tgt = _batch(1)
    tgt = torch.cat([tgt, torch.full((3, 1), EOS)], dim=1)
    logits = model(src, tgt[:, :-1]).logits  # (B, T-1, V)
    total, count = 0.0, 0
    for b, t in itertools.product(range(3), range(tgt.shape[1] - 1)):  # slow loop reference
        target = tgt[b, t + 1].item()
        if target != PAD:
            total -= torch.log_softmax(logits[b, t], -1)[target].item()
            count += 1
    assert model.loss(src, tgt).item() == pytest.approx(total / count, rel=1e-9)
    smooth = EncoderDecoder(_config(label_smoothing=0.1)).double()
    smooth.load_state_dict(model.state_dict())
    expected = F.cross_entropy(logits.reshape(-1, V_TGT), tgt[:, 1:].reshape(-1), ignore_index=PAD,
                               label_smoothing=0.1)
    assert smooth.loss(src, tgt).item() == pytest.approx(expected.item(), rel=1e-9)


def test_attention_format_and_masks():
    torch.manual_seed(2)
    model = EncoderDecoder(_config(n_encoder_layers=3, n_decoder_layers=1)).eval()
    src, tgt = _batch(2)
    _, att = model(src, tgt, need_weights=True)
    assert isinstance(att, Attentions) and len(att) == 3
    assert [a.shape for a in att.encoder] == [(3, 2, 9, 9)] * 3
    assert [a.shape for a in att.decoder] == [(3, 2, 8, 8)]
    assert [a.shape for a in att.cross] == [(3, 2, 8, 9)]
    future = torch.ones(8, 8, dtype=torch.bool).triu(1)
    assert att.decoder[0][..., future].abs().max() == 0  # the decoder never looks ahead
    assert att.cross[0][0, :, :, 6:].abs().max() == 0  # nor at source padding
    assert att.encoder[0][2, :, :, 4:].abs().max() == 0
    torch.testing.assert_close(att.cross[0].sum(-1), torch.ones(3, 2, 8))


def test_output_does_not_depend_on_later_target_tokens_or_padding():
    torch.manual_seed(3)
    model = EncoderDecoder(_config()).double().eval()
    src, tgt = _batch(3)
    changed = tgt.clone()
    changed[:, 5:] = 9
    torch.testing.assert_close(model(src, tgt).logits[:, :5], model(src, changed).logits[:, :5])
    longer = torch.cat([src, torch.full((3, 2), PAD)], dim=1)  # more padding: same result
    torch.testing.assert_close(model(src, tgt).logits, model(longer, tgt).logits)


@pytest.mark.parametrize("switches", [dict(positional="learned"), dict(scale_embeddings=False),
                                      dict(share_embeddings=True, tie_output=True), dict(final_logits_bias=True),
                                      dict(start_id=PAD), dict(norm_first=True)])
def test_config_switches(switches):
    vocab = V_TGT if switches.get("share_embeddings") else V_SRC
    model = EncoderDecoder(TransformerConfig(vocab, V_TGT, d_model=16, n_heads=2, d_ff=32, n_layers=1, max_len=12,
                                             dropout=0.0, **switches))
    src, tgt = _batch(4)
    tgt[:, 0] = model.config.decoder_start_id
    loss = model.loss(src, tgt)
    loss.backward()
    assert math.isfinite(loss.item())
    names = dict(model.named_parameters())
    if switches.get("tie_output"):
        assert model.head.weight is model.decoder.embed.tokens.weight is model.encoder.embed.tokens.weight
        assert len(names) == len({id(p) for p in model.parameters()})
    if switches.get("positional") == "learned":
        assert "encoder.embed.positions.embedding.weight" in names
    if switches.get("final_logits_bias"):
        model.final_logits_bias[3] = 100.0
        assert (model(src, tgt[:, :-1]).logits.argmax(-1) == 3).all()
        assert "final_logits_bias" in model.state_dict()
    if "start_id" in switches:  # a [PAD] start token: the decoder must still see it
        assert torch.isfinite(model(src, tgt[:, :-1]).logits).all()


def test_scale_embeddings_multiplies_by_sqrt_d_model():
    torch.manual_seed(5)
    scaled = EncoderDecoder(_config(dropout=0.0))
    plain = EncoderDecoder(_config(dropout=0.0, scale_embeddings=False))
    plain.load_state_dict(scaled.state_dict())
    ids = torch.tensor([[7, 8, 9]])
    pe = scaled.encoder.embed.positions.pe[:3]
    torch.testing.assert_close(scaled.encoder.embed(ids) - pe, 4.0 * (plain.encoder.embed(ids) - pe))


# ----------------------------------------------------------------------------- decoding
class PrefixCache:
    """Stands in for a KVCache in ScriptedModel: the target tokens read so far, reordered with the beams."""

    def __init__(self):
        self.rows = None

    def reorder(self, index):
        self.rows = self.rows[index]


class ScriptedModel(nn.Module):
    """A stand-in with fixed next-token probabilities, for checking the search algorithms exactly."""

    def __init__(self, table: dict[tuple[int, ...], dict[int, float]], vocab: int = 8, max_len: int = 6):
        super().__init__()
        self.config = TransformerConfig(vocab, vocab, d_model=4, n_heads=1, d_ff=4, n_layers=1, max_len=max_len,
                                        bos_id=1, eos_id=2)
        self.table, self.vocab = table, vocab

    def encode(self, src):
        return torch.zeros(src.shape[0], src.shape[1], 4), torch.ones(src.shape[0], 1, 1, src.shape[1], dtype=bool), None

    def new_cache(self):
        return DecoderCache([PrefixCache()], [])

    def decode(self, tgt_in, memory, src_mask, need_weights=False, cache=None):
        if cache is not None:  # read the new token(s) after the prefix the cache holds
            kept = cache.self_attn[0]
            kept.rows = tgt_in if kept.rows is None else torch.cat([kept.rows, tgt_in], dim=1)
            tgt_in = kept.rows
        logits = torch.full((tgt_in.shape[0], tgt_in.shape[1], self.vocab), -30.0)
        for b, row in enumerate(tgt_in.tolist()):
            probs = self.table.get(tuple(row[1:]), {2: 1.0})  # unknown prefixes end
            for token, p in probs.items():
                logits[b, -1, token] = math.log(p)
        return logits, None, None


@pytest.mark.parametrize("use_cache", [True, False])
def test_beam_search_keeps_a_full_length_beam_at_max_len(use_cache):
    """max_len=2: P(a)=.6, P(<eos>)=.3, P(a|a)=.7. 'a a' (p=.42) never ends but is the best of length 2;
    two hypotheses finish early ('<eos>' .3 and 'a <eos>' .12): they must not push 'a a' out."""
    a, eos = 3, 2
    table = {(): {a: 0.6, eos: 0.3, 4: 0.1}, (a,): {a: 0.7, eos: 0.2, 4: 0.1}}
    model, src = ScriptedModel(table, max_len=2), torch.tensor([[5]])
    assert greedy_decode(model, src, use_cache=use_cache) == [[a, a]]
    for beam in (1, 2, 3):
        assert beam_search(model, src, beam_size=beam, length_penalty=0.0, use_cache=use_cache) == [[a, a]]


def test_cached_decoding_equals_uncached_on_a_random_model():
    torch.manual_seed(11)
    model = EncoderDecoder(TransformerConfig(20, 20, d_model=16, n_heads=4, d_ff=32, n_layers=2, max_len=12,
                                             dropout=0.0, norm_first=True)).eval()
    src = torch.randint(7, 20, (5, 8))
    assert greedy_decode(model, src) == greedy_decode(model, src, use_cache=False)
    assert beam_search(model, src, beam_size=3) == beam_search(model, src, beam_size=3, use_cache=False)


def _score(table, tokens) -> float:
    return sum(math.log(table.get(tuple(tokens[:i]), {2: 1.0}).get(t, math.exp(-30))) for i, t in enumerate(tokens))


def test_beam_search_beats_greedy_on_a_constructed_case():
    # Greedy takes 3 (p 0.6) but then nothing is likely; 4 (p 0.4) is followed by <eos> for sure.
    table = {(): {3: 0.6, 4: 0.4}, (3,): {5: 0.3, 6: 0.3, 7: 0.4}, (3, 7): {2: 1.0}, (4,): {2: 1.0}}
    model, src = ScriptedModel(table), torch.tensor([[3, 4]])
    assert greedy_decode(model, src) == [[3, 7, 2]]  # 0.6 * 0.4 = 0.24
    assert beam_search(model, src, beam_size=2, length_penalty=0.0) == [[4, 2]]  # 0.4 > 0.24
    assert _score(table, [4, 2]) > _score(table, [3, 7, 2])
    assert beam_search(model, src, beam_size=1) == greedy_decode(model, src)


def test_beam_search_with_a_wide_beam_finds_the_best_sequence():
    torch.manual_seed(6)
    model = EncoderDecoder(TransformerConfig(9, 5, d_model=8, n_heads=2, d_ff=8, n_layers=1, max_len=3,
                                             bos_id=3, eos_id=4, dropout=0.0)).double().eval()
    src = torch.tensor([[5, 6, 7]])

    def log_prob(seq) -> float:  # the reference score, straight from the logits
        logits = model(src, torch.tensor([[3, *seq[:-1]]])).logits[0]
        return sum(torch.log_softmax(logits[i], -1)[t].item() for i, t in enumerate(seq))

    # exhaustive search: every sequence that ends with <eos>, or stops at max_len=3 tokens
    candidates = [seq for n in (1, 2, 3) for seq in itertools.product(range(5), repeat=n)
                  if 4 not in seq[:-1] and (seq[-1] == 4 or n == 3)]
    best = max(candidates, key=log_prob)
    assert beam_search(model, src, beam_size=50, length_penalty=0.0) == [list(best)]
    greedy = greedy_decode(model, src)[0]
    assert log_prob(best) >= log_prob(greedy)
    assert sequence_log_prob(model, src, torch.tensor([[3, 1, 2, 4]])).item() == pytest.approx(log_prob((1, 2, 4)))


def test_beam_size_one_equals_greedy_on_a_random_model():
    torch.manual_seed(7)
    model = EncoderDecoder(_config(max_len=10)).eval()
    src, _ = _batch(7)
    assert beam_search(model, src, beam_size=1) == greedy_decode(model, src)
    assert beam_search(model, src, beam_size=1, max_len=4) == greedy_decode(model, src, max_len=4)
    assert all(len(row) <= 4 for row in greedy_decode(model, src, max_len=4))


def test_never_generate_bans_tokens_in_greedy_and_beam():
    torch.manual_seed(7)
    model = EncoderDecoder(_config(max_len=10)).eval()
    src, _ = _batch(7)
    plain = greedy_decode(model, src)
    banned = tuple(sorted({t for row in plain for t in row}))  # every token greedy picked, <eos> included
    assert banned
    model.config = dataclasses.replace(model.config, never_generate=banned)
    for rows in (greedy_decode(model, src), [beam_search(model, src[i:i + 1], beam_size=3)[0] for i in range(3)]):
        assert not any(t in banned for row in rows for t in row), rows
    assert TransformerConfig.from_dict(model.config.to_dict() | {"never_generate": list(banned)}) == model.config


def test_greedy_stops_at_eos_and_keeps_dropout_off():
    table = {(): {3: 1.0}, (3,): {2: 1.0}}
    model = ScriptedModel(table)
    model.train()
    assert greedy_decode(model, torch.tensor([[3], [4]])) == [[3, 2], [3, 2]]
    assert model.training  # the mode is restored


# ----------------------------------------------------------------------------- text level and bad input
@pytest.fixture(scope="module")
def trained_setup():
    pairs = [("the red ball", "la pelota roja"), ("a small dog", "un perro pequeño"), ("she found it", "ella la encontró")]
    en = WordTokenizer.train([e for e, _ in pairs])
    es = WordTokenizer.train([s for _, s in pairs], lowercase=False)
    torch.manual_seed(8)
    model = EncoderDecoder(preset("tiny", en.vocab_size, es.vocab_size, max_len=8))
    return model, en, es, pairs


def test_translate_marks_unknown_words_and_returns_attention(trained_setup):
    model, en, es, _ = trained_setup
    out = translate(model, en, es, "the purple ball", need_weights=True)
    assert out.source_tokens == ["the", "[UNK]", "ball", "<eos>"] and out.unknown == ["purple"]
    assert out.decoder_tokens[0] == "<bos>" and len(out.decoder_tokens) == len(out.output_tokens)
    assert out.attentions.cross[0].shape == (1, 2, len(out.output_tokens), 4)
    assert source_ids("the purple ball", en, model.config)[1] == UNK_ID


def test_text_errors_are_clear(trained_setup):
    model, en, es, pairs = trained_setup
    with pytest.raises(ValueError, match="at least one word"):
        translate(model, en, es, "   ")
    with pytest.raises(TypeError, match="text must be a str"):
        translate(model, en, es, ["the ball"])
    with pytest.raises(ValueError, match="max_len=8"):
        translate(model, en, es, "the red ball " * 3)
    with pytest.raises(ValueError, match="src_tokenizer has .* tokens but the model was built for"):
        translate(model, es, en, "la pelota")
    with pytest.raises(ValueError, match="beam_size"):
        translate(model, en, es, "the ball", beam_size=0)
    with pytest.raises(ValueError, match="max_len must be"):
        greedy_decode(model, torch.tensor([[7, 6]]), max_len=99)
    with pytest.raises(ValueError, match="more than max_len"):
        model(torch.ones(1, 9, dtype=torch.long), torch.tensor([[5]]))
    with pytest.raises(ValueError, match="start token"):
        model.loss(torch.tensor([[7, 6]]), torch.tensor([[7, 8, 6]]))
    with pytest.raises(TypeError, match="integer tensor"):
        model(torch.ones(1, 3), torch.tensor([[5]]))
    src, _ = encode_pairs(pairs + [("the ball " * 5, "x")], en, es, model.config)
    assert len(src) == len(pairs)  # the too-long pair is dropped
    assert pad(src, 0).shape == (3, max(map(len, src)))
    assert translate_batch(model, en, es, [e for e, _ in pairs])[0] == translate(model, en, es, pairs[0][0]).text


def test_save_and_load_translator_checks_the_vocabulary(trained_setup, tmp_path):
    model, en, es, _ = trained_setup
    path = save_translator(tmp_path / "t.pt", model, en, es)
    loaded, en2, es2 = load_translator(path)
    assert en2.tokens == en.tokens and es2.tokens == es.tokens and not es2.lowercase
    assert translate(loaded, en2, es2, "the red ball").text == translate(model, en, es, "the red ball").text
    other = WordTokenizer.train(["the ball was red", "a small dog"])
    first = next(i for i, (a, b) in enumerate(zip(other.tokens, en.tokens)) if a != b)
    with pytest.raises(ValueError, match=f"src_tokenizer has a different vocabulary.*first difference at id {first} "):
        load_translator(path, src_tokenizer=other)
    shuffled = WordTokenizer(list(en.tokens[:7]) + list(reversed(en.tokens[7:])))
    with pytest.raises(ValueError, match="src_tokenizer has a different vocabulary"):
        load_translator(path, src_tokenizer=shuffled)
    with pytest.raises(FileNotFoundError):
        load_translator(tmp_path / "missing.pt")


@pytest.mark.parametrize("kwargs, name", [(dict(d_model=30, n_heads=4), "d_model"), (dict(dropout=1.0), "dropout"),
                                          (dict(positional="rotary"), "positional"), (dict(activation="tanh"), "activation"),
                                          (dict(share_embeddings=True), "share_embeddings"), (dict(eos_id=99), "eos_id"),
                                          (dict(n_layers=0), "n_layers"), (dict(start_id=-1), "start_id"),
                                          (dict(never_generate=(V_TGT,)), "never_generate")])
def test_config_errors_name_the_field(kwargs, name):
    with pytest.raises(ValueError, match=f"TransformerConfig.{name}"):
        _config(**kwargs)


def test_presets_and_round_trip():
    c = preset("cpu", 100, 120, dropout=0.2)
    assert (c.src_vocab_size, c.tgt_vocab_size, c.dropout) == (100, 120, 0.2)
    assert TransformerConfig.from_dict(c.to_dict()) == c
    with pytest.raises(ValueError, match="name must be one of"):
        preset("tpu", 10, 10)
    with pytest.raises(ValueError, match="unknown TransformerConfig fields"):
        TransformerConfig.from_dict({**c.to_dict(), "colour": 1})


def test_figures_and_explorer_draw_and_report_bad_input(trained_setup, capsys):
    import matplotlib.pyplot as plt

    from course_lib.plots.transformer import (
        plot_bleu,
        plot_cross_attention,
        plot_next_token,
        plot_teacher_forcing,
    )
    from course_lib.transformer import corpus_bleu
    from course_lib.widgets.transformer import translation_explorer

    model, en, es, _ = trained_setup
    out = translate(model, en, es, "the red ball", need_weights=True)
    axes = plot_cross_attention(out.attentions.cross, out.source_tokens, out.output_tokens, head=1)
    assert [t.get_text() for t in axes[0].get_xticklabels()] == out.source_tokens
    assert [t.get_text() for t in axes[0].get_yticklabels()] == out.output_tokens
    with pytest.raises(ValueError, match="source tokens"):
        plot_cross_attention(out.attentions.cross, out.source_tokens[:-1], out.output_tokens)
    assert len(plot_teacher_forcing(["<bos>", "la", "pelota", "<eos>"]).texts) >= 6
    with pytest.raises(ValueError, match="start token"):
        plot_teacher_forcing(["<bos>"])
    plot_next_token(["la", "el"], [0.7, 0.2])
    plot_bleu(corpus_bleu(["la pelota roja ."], ["la pelota roja pequeña ."]))
    box = translation_explorer(model, en, es, "the purple ball")
    assert "unknown words (read as [UNK]): purple" in capsys.readouterr().out
    box.controls["head"].value = 0
    box.controls["sentence"].value = "   "  # bad input: one line, never a traceback
    assert "cannot translate that: text must contain at least one word" in capsys.readouterr().out
    plt.close("all")
