"""The part of `google.colab.output` a notebook may call: widget-manager switches (no-ops here).

Colab needs `enable_custom_widget_manager()` only for third-party widget libraries; the course's
explorers use core ipywidgets only, so they must work without it. Calls are recorded for the report.
"""

calls: list[str] = []


def enable_custom_widget_manager() -> None:
    calls.append("enable_custom_widget_manager")


def disable_custom_widget_manager() -> None:
    calls.append("disable_custom_widget_manager")


def clear(*args, **kwargs) -> None:
    calls.append("clear")
