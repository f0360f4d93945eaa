"""Checks of what people type that several workflows share: a bounded text, a list of links.
Each refuses with a :class:`ServiceError` naming the form field."""

from . import ServiceError

MAX_LINKS = 20
MAX_LINK_LENGTH = 500


def clean_text(value: str | None, label: str, field: str, max_len: int, required: bool = True) -> str:
    """``value`` stripped; refused when required and empty, or longer than ``max_len``."""
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(f"请填写{label}。", field=field)
    if len(value) > max_len:
        raise ServiceError(f"{label}最多 {max_len} 字。", field=field)
    return value


def clean_links(links) -> list[str]:
    """The non-empty links, each http(s) and at most 500 characters, at most 20 of them."""
    out = []
    for raw in links or []:
        link = (raw or "").strip()
        if not link:
            continue
        if not link.lower().startswith(("http://", "https://")):
            raise ServiceError(f"链接「{link[:60]}」须以 http:// 或 https:// 开头。", field="links")
        if len(link) > MAX_LINK_LENGTH:
            raise ServiceError(f"链接过长（最多 {MAX_LINK_LENGTH} 字符）。", field="links")
        out.append(link)
    if len(out) > MAX_LINKS:
        raise ServiceError(f"链接最多 {MAX_LINKS} 条。", field="links")
    return out


def parse_links(text: str | None) -> list[str]:
    """One link a line (the textarea of the forms), checked by :func:`clean_links`."""
    return clean_links((text or "").splitlines())
