"""GPT-2 checkpoints (Hugging Face GPT2LMHeadModel) loaded into the course's GPT.

Taught in 11_pretrained_models. GPT-2 is the course's GPT with four settings: biases everywhere,
LayerNorm eps 1e-5, GELU in its tanh form ("gelu_new" = "gelu_tanh") and a head tied to the token
embedding. The one real difference is storage: GPT-2 keeps its linear layers as Conv1D, whose weight is
(in, out), the transpose of nn.Linear's (out, in); and its q, k, v projections are already fused
(c_attn, d_model -> 3 * d_model, in the order q, k, v), exactly as our `qkv`. `HF_NAMES` is the whole
conversion: `load_gpt2` loops over it (course_lib.interop.common.convert).
Deliberately left out: GPT-2 variants that scale attention by the layer index or upcast it.
"""

from __future__ import annotations

from course_lib.gpt import GPT, GPTConfig

from .common import convert, require_setting, resolve, same_settings

ACTIVATION_NAMES = {"gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "gelu": "gelu", "relu": "relu"}

# Our parameter or module -> GPT2LMHeadModel's tensor or module ({i}: the block). head.weight is tied to
# tok_emb, so the embedding row fills both.
HF_NAMES = {
    "tok_emb.embedding.weight": "transformer.wte.weight",       # (vocab_size, d_model), also the head
    "pos_emb.embedding.weight": "transformer.wpe.weight",       # (max_len, d_model)
    "blocks.{i}.norm1": "transformer.h.{i}.ln_1",
    "blocks.{i}.self_attn.qkv": "transformer.h.{i}.attn.c_attn",  # Conv1D (d, 3d) -> Linear (3d, d): q, k, v rows
    "blocks.{i}.self_attn.out": "transformer.h.{i}.attn.c_proj",
    "blocks.{i}.norm2": "transformer.h.{i}.ln_2",
    "blocks.{i}.ffn.linear1": "transformer.h.{i}.mlp.c_fc",      # Conv1D (d, d_ff) -> Linear (d_ff, d)
    "blocks.{i}.ffn.linear2": "transformer.h.{i}.mlp.c_proj",
    "norm": "transformer.ln_f",
}
CONV1D = (".attn.c_attn.", ".attn.c_proj.", ".mlp.c_fc.", ".mlp.c_proj.")  # weights stored (in, out)
# Settings that change no shape: a wrong value would load silently and compute something else.
UNSEEN_BY_SHAPES = ("n_heads", "activation", "layer_norm_eps")


def gpt2_config(hf_config) -> GPTConfig:
    """The GPTConfig with the shape of a transformers.GPT2Config."""
    c = hf_config
    require_setting(c, "activation_function", tuple(ACTIVATION_NAMES), "GPT-2")
    require_setting(c, "scale_attn_weights", (True,), "GPT-2")
    require_setting(c, "scale_attn_by_inverse_layer_idx", (False,), "GPT-2")
    require_setting(c, "tie_word_embeddings", (True,), "GPT-2")
    return GPTConfig(vocab_size=c.vocab_size, max_len=c.n_positions, d_model=c.n_embd, n_heads=c.n_head,
                     n_layers=c.n_layer, d_ff=c.n_inner or 4 * c.n_embd, dropout=float(c.resid_pdrop),
                     activation=ACTIVATION_NAMES[c.activation_function], layer_norm_eps=float(c.layer_norm_epsilon))


def load_gpt2(model: GPT, hf_model) -> GPT:
    """Copy the weights of a GPT2LMHeadModel into our GPT, in place (shape-checked); returns it.

    Our config must agree with the checkpoint's on what shapes cannot show (n_heads, activation, eps).
    """
    hf = resolve(hf_model, "GPT2LMHeadModel")
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a course_lib.gpt.GPT, got {type(model).__name__}")
    same_settings(model.config, gpt2_config(hf.config), UNSEEN_BY_SHAPES, "GPT-2")
    convert(model, hf.state_dict(), HF_NAMES, transpose=lambda name: any(c in name for c in CONV1D))
    return model


def gpt2_from_hf(hf_model_or_name) -> GPT:
    """Our GPT with the weights of a GPT2LMHeadModel (or a checkpoint name or folder such as "gpt2"), in eval mode.

    Its config is `model.config`; logits agree with the Hugging Face model to float32 rounding.
    """
    hf = resolve(hf_model_or_name, "GPT2LMHeadModel")
    model = GPT(gpt2_config(hf.config))
    load_gpt2(model, hf)
    param = next(hf.parameters())
    return model.to(param.device).eval()
