"""GPT-2 checkpoints (Hugging Face GPT2LMHeadModel) loaded into the course's GPT.

Taught in 11_pretrained_models. GPT-2 is the course's GPT with four settings: biases everywhere,
LayerNorm eps 1e-5, GELU in its tanh form ("gelu_new" = "gelu_tanh") and a head tied to the token
embedding. The one real difference is storage: GPT-2 keeps its linear layers as Conv1D, whose weight is
(in, out), the transpose of nn.Linear's (out, in); and its q, k, v projections are already fused
(c_attn, d_model -> 3 * d_model, in the order q, k, v), exactly as our `qkv`.
Deliberately left out: GPT-2 variants that scale attention by the layer index or upcast it.
"""

from __future__ import annotations

from course_lib.gpt import GPT, GPTConfig

from .common import copy_, copy_linear, copy_norm, require_setting, resolve

ACTIVATION_NAMES = {"gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "gelu": "gelu", "relu": "relu"}


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
    """Copy the weights of a GPT2LMHeadModel into our GPT, in place (shape-checked); returns it."""
    sd = resolve(hf_model, "GPT2LMHeadModel").state_dict()
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a course_lib.gpt.GPT, got {type(model).__name__}")
    copy_("transformer.wte.weight", model.tok_emb.weight, sd["transformer.wte.weight"])  # (V, d_model), also the head
    copy_("transformer.wpe.weight", model.pos_emb.weight, sd["transformer.wpe.weight"])  # (max_len, d_model)
    n_hf = sum(1 for k in sd if k.endswith(".ln_1.weight"))
    if n_hf != len(model.blocks):
        raise ValueError(f"the Hugging Face model has {n_hf} blocks (transformer.h.*), ours has {len(model.blocks)}")
    for i, block in enumerate(model.blocks):
        h = f"transformer.h.{i}"
        copy_norm(f"{h}.ln_1", block.norm1, sd)
        copy_linear(f"{h}.attn.c_attn", block.attn.qkv, sd, transpose=True)   # (d, 3d) -> (3d, d): q, k, v rows
        copy_linear(f"{h}.attn.c_proj", block.attn.out, sd, transpose=True)
        copy_norm(f"{h}.ln_2", block.norm2, sd)
        copy_linear(f"{h}.mlp.c_fc", block.ffn.linear1, sd, transpose=True)   # (d, d_ff) -> (d_ff, d)
        copy_linear(f"{h}.mlp.c_proj", block.ffn.linear2, sd, transpose=True)
    copy_norm("transformer.ln_f", model.norm, sd)
    return model


def gpt2_from_hf(hf_model_or_name) -> GPT:
    """Our GPT with the weights of a GPT2LMHeadModel (or a checkpoint name such as "gpt2"), in eval mode.

    Its config is `model.config`; logits agree with the Hugging Face model to float32 rounding.
    """
    hf = resolve(hf_model_or_name, "GPT2LMHeadModel")
    model = GPT(gpt2_config(hf.config))
    load_gpt2(model, hf)
    param = next(hf.parameters())
    return model.to(param.device).eval()
