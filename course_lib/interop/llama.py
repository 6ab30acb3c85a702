"""Llama checkpoints in the course's own GPT: the modern switches of GPTConfig, proved equal to Llama.

Taught in 12_modern_llm. A Hugging Face LlamaForCausalLM is a GPT with rotary positions, RMSNorm, a SwiGLU
feed-forward network, grouped-query attention, no biases and an untied output head: `llama_config` reads
those settings into a GPTConfig and `load_llama` copies the weights through one table (HF_NAMES), stacking
q_proj, k_proj and v_proj into the course's fused qkv matrix. Every copy is shape-checked (interop.common).
Deliberately left out: rope scaling variants (Llama 3.1's frequency scaling, YaRN), sliding-window
configs (Mistral) and sharded or quantised checkpoints.
"""

from __future__ import annotations

import torch
from torch import nn

from course_lib.gpt import GPT, GPTConfig

from .common import copy_, require_transformers

# Our parameter -> the Hugging Face LlamaForCausalLM tensor ({i}: the layer; qkv: three stacked rows).
HF_NAMES = {
    "tok_emb.embedding.weight": "model.embed_tokens.weight",
    "blocks.{i}.norm1.weight": "model.layers.{i}.input_layernorm.weight",
    "blocks.{i}.self_attn.qkv.weight": ("model.layers.{i}.self_attn.q_proj.weight",
                                        "model.layers.{i}.self_attn.k_proj.weight",
                                        "model.layers.{i}.self_attn.v_proj.weight"),
    "blocks.{i}.self_attn.out.weight": "model.layers.{i}.self_attn.o_proj.weight",
    "blocks.{i}.norm2.weight": "model.layers.{i}.post_attention_layernorm.weight",
    "blocks.{i}.ffn.gate.weight": "model.layers.{i}.mlp.gate_proj.weight",
    "blocks.{i}.ffn.up.weight": "model.layers.{i}.mlp.up_proj.weight",
    "blocks.{i}.ffn.down.weight": "model.layers.{i}.mlp.down_proj.weight",
    "norm.weight": "model.norm.weight",
    "head.weight": "lm_head.weight",
}


def llama_config(hf_config, max_len: int | None = None) -> GPTConfig:
    """The GPTConfig of a transformers LlamaConfig (rope, rmsnorm, swiglu, n_kv_heads, no biases)."""
    d_model, n_heads = hf_config.hidden_size, hf_config.num_attention_heads
    head_dim = getattr(hf_config, "head_dim", None) or d_model // n_heads
    if head_dim * n_heads != d_model:
        raise ValueError(f"head_dim={head_dim} x num_attention_heads={n_heads} must equal hidden_size={d_model}: "
                         "the course's attention splits d_model into the heads")
    rope = getattr(hf_config, "rope_parameters", None) or getattr(hf_config, "rope_scaling", None) or {}
    if rope.get("rope_type", "default") != "default":
        raise ValueError(f"rope_type {rope.get('rope_type')!r} is not supported (only the default rotary positions)")
    theta = rope.get("rope_theta", getattr(hf_config, "rope_theta", None) or 10000.0)
    if getattr(hf_config, "attention_bias", False) != getattr(hf_config, "mlp_bias", False):
        raise ValueError("attention_bias and mlp_bias differ; the course's GPTConfig has one bias switch")
    if getattr(hf_config, "hidden_act", "silu") != "silu":
        raise ValueError(f"hidden_act must be 'silu' (SwiGLU), got {hf_config.hidden_act!r}")
    return GPTConfig(vocab_size=hf_config.vocab_size, max_len=max_len or hf_config.max_position_embeddings,
                     d_model=d_model, n_heads=n_heads, n_layers=hf_config.num_hidden_layers,
                     d_ff=hf_config.intermediate_size, dropout=0.0, layer_norm_eps=float(hf_config.rms_norm_eps),
                     positional="rope", rope_base=float(theta), norm="rmsnorm", ffn="swiglu",
                     n_kv_heads=hf_config.num_key_value_heads, bias=bool(getattr(hf_config, "attention_bias", False)),
                     tie_embeddings=bool(getattr(hf_config, "tie_word_embeddings", False)))


@torch.no_grad()
def load_llama(hf_model: nn.Module, max_len: int | None = None) -> GPT:
    """A course GPT with the weights of a transformers LlamaForCausalLM (in eval mode)."""
    require_transformers()
    if type(hf_model).__name__ != "LlamaForCausalLM":
        raise TypeError(f"hf_model must be a transformers LlamaForCausalLM, got {type(hf_model).__name__}")
    config = llama_config(hf_model.config, max_len)
    if config.bias:
        raise ValueError("Llama checkpoints with biases are not supported by this table (attention_bias=True)")
    model = GPT(config).eval()
    sd, ours = hf_model.state_dict(), dict(model.named_parameters(remove_duplicate=False))
    written = set()
    for our_name, their_name in HF_NAMES.items():
        for i in range(config.n_layers) if "{i}" in our_name else [None]:
            name = our_name.format(i=i)
            if name == "head.weight" and config.tie_embeddings:
                continue  # the head is the token embedding
            names = [n.format(i=i) for n in (their_name if isinstance(their_name, tuple) else (their_name,))]
            missing = [n for n in names if n not in sd]
            if missing:
                raise KeyError(f"the Llama checkpoint has no tensor {missing[0]!r} (for our {name})")
            copy_(" + ".join(names), ours[name], torch.cat([sd[n] for n in names]))
            written.add(name)
    unwritten = sorted(set(ours) - written - ({"head.weight"} if config.tie_embeddings else set()))
    if unwritten:
        raise ValueError(f"no Llama tensor was copied into {unwritten}")
    return model
