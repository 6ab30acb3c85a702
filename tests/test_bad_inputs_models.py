"""Bad inputs to the models and their building blocks get an error from course_lib that names the argument."""

import pytest
import torch

from course_lib.bert import Bert, BertConfig
from course_lib.gpt import GPT, GPTConfig
from course_lib.multihead import MultiHeadAttention, split_heads
from course_lib.transformer import EncoderDecoder, TransformerConfig

GPT_TINY = GPTConfig(vocab_size=10, max_len=8, d_model=8, n_heads=2, n_layers=1)
BERT_TINY = BertConfig(vocab_size=20, max_len=8, d_model=8, n_heads=2, n_layers=1)
S2S_TINY = TransformerConfig(20, 20, d_model=8, n_heads=2, d_ff=8, n_layers=1, max_len=8)


def test_gpt_targets_out_of_range_or_float():
    model, ids = GPT(GPT_TINY), torch.randint(0, 10, (2, 5))
    with pytest.raises(ValueError, match=r"targets holds ids from .* to 10, expected ids in \[0, vocab_size=10\)"):
        model.loss(ids, torch.full((2, 5), 10))
    with pytest.raises(TypeError, match="targets must be an integer tensor"):
        model.loss(ids, torch.zeros(2, 5))
    with pytest.raises(ValueError, match="targets must have the shape of the input"):
        model.loss(ids, torch.zeros(2, 4, dtype=torch.long))
    assert torch.isfinite(model.loss(ids, torch.full((2, 5), -100).index_fill(1, torch.tensor([0]), 3)))


def test_gpt_ids_and_attention_mask():
    model = GPT(GPT_TINY)
    with pytest.raises(ValueError, match=r"ids holds ids from 0 to 12, expected ids in \[0, vocab_size=10\)"):
        model(torch.tensor([[0, 12]]))
    with pytest.raises(ValueError, match="max_len=8"):
        model(torch.zeros(1, 9, dtype=torch.long))
    with pytest.raises(ValueError, match="attention_mask must have shape"):
        model(torch.zeros(2, 3, dtype=torch.long), torch.ones(2, 4))
    with pytest.raises(ValueError, match="additive"):
        model(torch.zeros(1, 3, dtype=torch.long), torch.tensor([[float("-inf"), 0.0, 0.0]]))
    with pytest.raises(ValueError, match="one KVCache per block"):
        model(torch.zeros(1, 3, dtype=torch.long), cache=[])


def test_bert_refuses_an_additive_attention_mask_and_bad_labels():
    model = Bert(BERT_TINY)
    ids = torch.tensor([[2, 7, 3, 8, 3, 0]])
    additive = torch.tensor([[0.0, 0, 0, 0, 0, float("-inf")]])  # 0 = attend, -inf = padding: the wrong form
    with pytest.raises(ValueError, match="additive"):
        model(ids, attention_mask=additive)
    with pytest.raises(ValueError, match=r"mlm_labels must hold ids in \[0, vocab_size=20\)"):
        model.loss(ids, None, torch.tensor([[-100, 25, -100, -100, -100, -100]]))


def test_seq2seq_target_ids_out_of_range():
    model = EncoderDecoder(S2S_TINY)
    src = torch.randint(7, 20, (1, 4))
    with pytest.raises(ValueError, match=r"tgt holds ids from .* to 20, expected ids in \[0, vocab_size=20\)"):
        model.loss(src, torch.tensor([[5, 9, 20]]))
    with pytest.raises(TypeError, match="tgt must be an integer tensor"):
        model.loss(src, torch.tensor([[5.0, 9.0]]))


def test_attention_building_blocks():
    with pytest.raises(ValueError, match="n_heads must be a positive int, got 0"):
        split_heads(torch.zeros(1, 2, 8), 0)
    with pytest.raises(ValueError, match="n_kv_heads"):
        MultiHeadAttention(8, 4, n_kv_heads=3)
    with pytest.raises(ValueError, match="window must be a positive int"):
        MultiHeadAttention(8, 2, window=0)
    with pytest.raises(TypeError, match="cache must be a course_lib.multihead.KVCache"):
        MultiHeadAttention(8, 2)(torch.zeros(1, 2, 8), cache=[])


@pytest.mark.parametrize("field,value,match", [("n_kv_heads", 3, "n_kv_heads"), ("positional", "alibi", "positional"),
                                               ("norm", "batchnorm", "norm"), ("ffn", "geglu", "ffn"),
                                               ("window", 0, "window"), ("d_model", 9, "d_model")])
def test_gpt_config_switches(field, value, match):
    with pytest.raises(ValueError, match=f"GPTConfig.{match}"):
        GPTConfig(vocab_size=10, **{"n_heads": 4, "d_model": 16, field: value})


def test_an_inverted_causal_mask_is_named_not_a_silent_zero_row():
    from course_lib.attention import scaled_dot_product_attention
    from course_lib.masking import causal_mask

    q = torch.randn(2, 4, 8)
    for inverted in (~causal_mask(4), torch.ones(4, 4, dtype=torch.bool).triu(1)[None]):
        with pytest.raises(ValueError, match="inverted causal mask"):
            scaled_dot_product_attention(q, q, q, mask=inverted)
        with pytest.raises(ValueError, match="inverted causal mask"):
            MultiHeadAttention(8, 2)(q, mask=inverted)
    # a left-padded row legitimately blocks the first query entirely: allowed, and its weights are zero
    left_padded = causal_mask(4) & torch.tensor([False, True, True, True])
    _, w = scaled_dot_product_attention(q, q, q, mask=left_padded)
    assert w[:, 0].abs().sum() == 0 and torch.allclose(w[:, 1:].sum(-1), torch.ones(2, 3))


def test_the_fused_path_gives_zeros_for_a_query_with_no_key_on_every_torch_release(monkeypatch):
    """Older torch releases return NaN for a fully masked row; the NaN would then spread through every
    later layer (0 weight x NaN value = NaN). The fused path must match the readable one regardless."""
    import torch.nn.functional as F

    from course_lib import multihead

    real = F.scaled_dot_product_attention

    def like_older_torch(q, k, v, attn_mask=None, **kw):
        out = real(q, k, v, attn_mask=attn_mask, **kw)
        return out if attn_mask is None else out.masked_fill(~attn_mask.any(-1, keepdim=True), float("nan"))

    monkeypatch.setattr(multihead.F, "scaled_dot_product_attention", like_older_torch)
    torch.manual_seed(0)
    mha, x = MultiHeadAttention(8, 2).eval(), torch.randn(1, 4, 8)
    mask = torch.tensor([False, True, True, True]).expand(4, 4).clone()
    mask[0] = False  # the first query may see nothing
    fused, _ = mha(x, mask=mask)
    readable, _ = mha(x, mask=mask, need_weights=True)
    assert torch.isfinite(fused).all()
    torch.testing.assert_close(fused, readable)
