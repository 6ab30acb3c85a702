"""GPT: a decoder-only transformer trained to predict the next token, and sampling from it.

Taught in 10_gpt_pretraining. `model` holds `GPT(config)`: token + learned position embeddings,
`n_layers` pre-norm blocks (causal multi-head attention, then a GELU feed-forward network, each added
to the residual stream), a final LayerNorm and an output head that shares its weights with the token
embedding. `model(ids).logits` is (B, T, vocab_size); `model.loss(ids, targets)` the mean
cross-entropy. `GPTConfig.preset("cpu" | "t4" | "a100", vocab_size)` sizes the model to a laptop CPU, a
Colab T4 or an A100 (course_lib.runtime.preset_for(device) picks one) and `GPTConfig.recipe(name)` gives
a TrainConfig and batch size. `sampling` holds `generate` (temperature, top-k, top-p, stop at <eos>, a
key/value cache) and its filters.
Deliberately left out: ALiBi positions, mixture-of-experts, and loading GPT-2's weights (11_pretrained_models).
"""

from .model import GPT, IGNORE, PRESETS, GPTConfig
from .sampling import check_sampling, generate, next_token_probs, top_k_filter, top_p_filter

__all__ = ["GPT", "IGNORE", "PRESETS", "GPTConfig", "check_sampling", "generate", "next_token_probs",
           "top_k_filter", "top_p_filter"]
