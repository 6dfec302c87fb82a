"""Names for the places of a call (menus, keys, units and what happened there), for people reading figures."""

from __future__ import annotations

from ivr.core.decision import Node, NodeKind
from ivr.core.model import OPERATOR_KEY, Hotline, Lang

# What happens at each kind of unit node (flow.UNIT_NODES), as staff say it.
_UNIT_NODE_WORDS: dict[NodeKind, tuple[str, str]] = {
    NodeKind.UNIT: ("{unit}", "{unit}"),
    NodeKind.CLOSED: ("{unit}：听到不办公的提示", "{unit}: 업무 안 함 안내"),
    NodeKind.INFO: ("{unit}：听地址和办公时间", "{unit}: 주소와 업무 시간 안내"),
    NodeKind.DIALED: ("{unit}：正在转接", "{unit}: 련결 중"),
    NodeKind.AFTER: ("{unit}：转接没有接通之后", "{unit}: 련결되지 않은 뒤"),
    NodeKind.RECORD: ("{unit}：留言", "{unit}: 음성 메시지"),
    NodeKind.RECORDED: ("{unit}：留言之后", "{unit}: 음성 메시지 뒤"),
}
_LANGUAGE_CHOICE = ("选择语言", "언어 선택")
_START = ("接通之前", "련결 전")


def node_name(hotline: Hotline, node: str, lang: Lang) -> str:
    """Name a node of the call flow ("menu:main", "after:marriage_registry") in words; unknown ones stay as they are."""
    place = Node.read(node)
    if place is None:
        return node
    kind, target = place.kind, place.target
    pick = 0 if lang == "zh" else 1
    if kind == NodeKind.MENU and target in hotline.menus:
        return hotline.menus[target].title(lang)
    if kind in _UNIT_NODE_WORDS and target in hotline.units:
        return _UNIT_NODE_WORDS[kind][pick].format(unit=hotline.units[target].name(lang))
    if kind == NodeKind.CONFIRM:
        offered = ("、" if lang == "zh" else ", ").join(unit_name(hotline, u, lang) for u in target.split("+"))
        return ("确认说出的要办的事：{units}", "말한 용건 확인: {units}")[pick].format(units=offered)
    if kind == NodeKind.LANGUAGE:
        return _LANGUAGE_CHOICE[pick]
    if kind == NodeKind.OPERATOR:
        return hotline.operator.name(lang)
    if kind == NodeKind.START:
        return _START[pick]
    return node


def unit_name(hotline: Hotline, unit_id: str, lang: Lang) -> str:
    """Name a unit by its id; an id the menus no longer know stays as it is."""
    unit = hotline.units.get(unit_id)
    return unit.name(lang) if unit else unit_id


def choice_name(hotline: Hotline, node: str, key: str, lang: Lang) -> str:
    """Name a key pressed in a menu by the option it chose: "2 结婚、离婚等婚姻登记"."""
    place = Node.read(node)
    menu = hotline.menus.get(place.target) if place is not None and place.kind == NodeKind.MENU else None
    option = menu.option(key) if menu else None
    if option is not None:
        return f"{key} {option.label(lang)}"
    if key == OPERATOR_KEY:
        return f"{OPERATOR_KEY} {hotline.operator.name(lang)}"
    return key
