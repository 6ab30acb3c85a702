"""The shared training engine: one `train` for every model in the course.

Used by 08_encoder_decoder, 09_bert_pretraining and 10_gpt_pretraining.

    from course_lib.training import TrainConfig, train
    config = TrainConfig(max_steps=2000, lr=1e-3, warmup_steps=100, eval_every=200)
    history = train(model, get_batch, config)   # model.loss(*batch) -> mean loss

`get_batch(split, i)` returns the i-th batch ("train" or "val") as a tuple of tensors; make it a
function of i alone for exact resuming. Pass `callback=course_lib.plots.training.LivePlot()` for a
live loss plot in a notebook. Modules: config (TrainConfig), schedule (lr_at), loop (train),
history (History), checkpoint (save/load), perf (precision, fused AdamW, compile, MFU), distributed
(torchrun and DDP: see its docstring for the multi-GPU and multi-node command lines), interrupt
(the stop button, SIGTERM), guard (nothing lost: the checkpoint location checked and locked before
training, failed saves reported). Deliberately left out: data loading and model code.
"""

from .checkpoint import CheckpointError, get_rng_states, load_checkpoint, save_checkpoint, set_rng_states
from .config import TrainConfig
from .distributed import DistInfo, init_distributed
from .guard import CheckpointInUseError
from .history import History
from .loop import train
from .perf import GPU_PEAK_FLOPS, measure_peak_flops, peak_flops, resolve_precision
from .schedule import lr_at

__all__ = ["TrainConfig", "train", "History", "lr_at", "save_checkpoint", "load_checkpoint",
           "get_rng_states", "set_rng_states", "measure_peak_flops", "peak_flops", "resolve_precision",
           "GPU_PEAK_FLOPS", "DistInfo", "init_distributed", "CheckpointError", "CheckpointInUseError"]
