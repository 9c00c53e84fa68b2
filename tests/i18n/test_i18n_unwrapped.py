"""A lint: no student-facing literal escapes translation.

Places a student reads text the library writes:
- the problem and "How to fix" of every :class:`awslab.errors.AwslabError` (and the rule of a
  ``ValidationError``), wherever in ``awslab/`` one is raised;
- the comment ``lab.record`` puts above each command of the AWS CLI log;
- the ``fix`` and ``doing`` of the helpers that build such errors (``validate.one_of``, ``_base.call``,
  ``waits.waiter`` ...), and the message and fix of a check's answer (``ok``, ``not_yet``);
- what ``awslab/cli`` prints (``print``, ``SystemExit``, ``input`` prompts).

A literal there must reach the student through ``_()`` (or ``ngettext``), either directly or through a
module constant marked ``N_()``. An English literal passed as is, an f-string with words, or
``"...".format()`` on a literal is a message the Korean catalogue can never hold.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from awslab import i18n

PACKAGE = Path(i18n.__file__).resolve().parents[1]
#: Parameters of an AwslabError (or a subclass's own __init__) that carry words for the student.
TEXT_PARAMS = {"problem", "fix", "rule", "doing", "what", "comment"}
#: Methods whose text a student reads: ``lab.record(key, command, comment)`` writes the comment above each command
#: in the AWS CLI log (``awslab cli-log``, ``lab.cli_log()``).
METHODS = {"record": ["key", "command", "comment", "var", "query"]}
#: Module-level functions whose ``message`` is a check's answer, read by the student as is.
FEEDBACK = {"ok", "not_yet", "Unmet"}
#: Calls in awslab/cli whose arguments a student reads.
CLI_OUTPUT = {"print", "SystemExit", "input"}
WRAPPERS = {"_", "ngettext"}
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_WORD = re.compile(r"[A-Za-z]{2,}")
#: A fix that is a command or code to type is the same in every language (``aws ec2 create-tags ...``,
#: ``{update} --health-check-type ELB``, ``ec2.get_waiter(...)``, ``StepAdjustments=[...]``).
_COMMAND = re.compile(r"^\s*((aws|awslab|ssh|ssh-keygen|chmod|curl|pip|python3?|docker)\s|\{\w+\} --|[\w.]+\(|[A-Z]\w+=)")


def _has_words(text: str) -> bool:
    """Does ``text`` say something in English (beyond placeholders, the 'awslab:' prefix and commands)?"""
    return not _COMMAND.match(text) and bool(_WORD.search(_PLACEHOLDER.sub("", text).replace("awslab:", "")))


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _modules() -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text(encoding="utf-8")) for p in sorted(PACKAGE.rglob("*.py"))}


def _error_classes(trees: dict[Path, ast.Module]) -> dict[str, list[str]]:
    """Every AwslabError subclass in the package -> the parameter names of the __init__ it runs."""
    classes = {c.name: c for t in trees.values() for c in ast.walk(t) if isinstance(c, ast.ClassDef)}
    params = {"AwslabError": ["problem", "fix", "code"], "translate": ["err", "doing", "fix", "cls"]}
    changed = True
    while changed:
        changed = False
        for name, cls in classes.items():
            base = next((_name(b) for b in cls.bases if _name(b) in params), None)
            if name in params or base is None:
                continue
            init = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)
            params[name] = [a.arg for a in init.args.args[1:]] if init else params[base]
            changed = True
    return params


def _helpers(trees: dict[Path, ast.Module]) -> dict[str, list[str]]:
    """Module-level functions (and dataclasses) that take a ``fix`` or ``doing`` (they pass it on to an AwslabError)."""
    found = {}
    for path, tree in trees.items():
        for f in tree.body:
            if path.parent.name == "dataplane":  # the cloud process's own records, not read by a student as text
                continue
            if isinstance(f, ast.ClassDef) and not any(isinstance(b, ast.FunctionDef) and b.name == "__init__" for b in f.body):
                fields = [a.target.id for a in f.body if isinstance(a, ast.AnnAssign) and isinstance(a.target, ast.Name)]
                if {"fix", "rule"} & set(fields):
                    found[f.name] = fields
            if isinstance(f, ast.FunctionDef):
                names = [a.arg for a in f.args.args]
                if {"fix", "doing"} & set(names) or f.name in FEEDBACK:
                    found[f.name] = ["problem" if n == "message" else n for n in names]
    return found


def _plain_constants(tree: ast.Module) -> set[str]:
    """Module-level names bound to a bare English literal (not marked with N_())."""
    found = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            if _has_words(node.value.value):
                found.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return found


def _unwrapped(node: ast.expr | None, constants: set[str]) -> bool:
    """Does ``node`` hand the student English that never went through _()?"""
    if node is None:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and _has_words(node.value)
    if isinstance(node, ast.JoinedStr):
        if _COMMAND.match("".join(v.value if isinstance(v, ast.Constant) else "{x}" for v in node.values)):
            return False
        return any(_unwrapped(v, constants) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.Name):
        return node.id in constants
    if isinstance(node, ast.BinOp):
        return _unwrapped(node.left, constants) or _unwrapped(node.right, constants)
    if isinstance(node, ast.IfExp):
        return _unwrapped(node.body, constants) or _unwrapped(node.orelse, constants)
    if isinstance(node, ast.Call):
        name = _name(node.func)
        if name in WRAPPERS:
            return False
        if name == "format" and isinstance(node.func, ast.Attribute):
            return _unwrapped(node.func.value, constants)
    return False


def _text_args(call: ast.Call, params: list[str] | None) -> list[ast.expr]:
    if params is None:  # a CLI output call: every argument is read
        return list(call.args)
    args = [a for p, a in zip(params, call.args) if p in TEXT_PARAMS]
    return args + [k.value for k in call.keywords if k.arg in TEXT_PARAMS]


def _on_lab(func: ast.expr) -> bool:
    """``lab.record(...)`` or ``self.lab.record(...)``: a method of :class:`awslab.Lab` (the simulator's own
    ``record`` of events is another method, in the cloud process)."""
    return isinstance(func, ast.Attribute) and func.attr in METHODS and _name(func.value) == "lab"


def offenders() -> list[str]:
    trees = _modules()
    errors = {**_helpers(trees), **_error_classes(trees), **METHODS}
    found = []
    for path, tree in trees.items():
        rel = path.relative_to(PACKAGE.parent)
        in_cli = rel.parts[:2] == ("awslab", "cli")
        constants = _plain_constants(tree)
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            name = _name(call.func)
            if name in errors and (isinstance(call.func, ast.Name) or name[:1].isupper() or _on_lab(call.func)):
                params = errors[name]
            elif in_cli and isinstance(call.func, ast.Name) and name in CLI_OUTPUT:
                params = None
            else:
                continue
            if any(_unwrapped(a, constants) for a in _text_args(call, params)):
                found.append(f"{rel}:{call.lineno} {name}(...)")
    return found


def test_every_error_and_cli_message_goes_through_gettext():
    found = offenders()
    assert found == [], f"{len(found)} student-facing message(s) not wrapped in _():\n" + "\n".join(found)


def test_the_lint_catches_each_shape_of_unwrapped_text():
    """The lint itself can fail: each shape a message can take unwrapped is caught, each wrapped one passes."""
    tree = ast.parse('PLAIN = "Use port {port}."\nMARKED = N_("Use port {port}.")\n')
    constants = _plain_constants(tree)
    bad = ['"Stop it."', 'f"{x} is taken"', '"Use {p}.".format(p=1)', 'PLAIN.format(port=1)', '"Run " + x',
           'x if y else "none"', 'f"Run {x} again"']
    good = ['_("Stop it.")', '_("Use {p}.").format(p=1)', '_(MARKED).format(port=1)', 'f"awslab: {e}"', 'str(e)',
            '"[{0:>4}]"', 'ngettext("a", "b", n)', 'f"aws ec2 create-tags --resources {x}"',
            'f"{update} --health-check-type ELB"', '"ec2.get_waiter(\'instance_running\')"', '"StepAdjustments=" + x']
    assert [s for s in bad if not _unwrapped(ast.parse(s, mode="eval").body, constants)] == []
    assert [s for s in good if _unwrapped(ast.parse(s, mode="eval").body, constants)] == []


def _own_stores(scope: ast.AST) -> list[str]:
    """Names a function binds in its own scope (nested functions, lambdas and comprehensions have their own)."""
    found = []
    for child in ast.iter_child_nodes(scope):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
                              ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            found.append(child.id)
        found += _own_stores(child)
    return found


def test_no_function_that_translates_binds_underscore_itself():
    """``for a, _ in ...`` or ``x, *_ = ...`` makes ``_`` local to the whole function: a ``_("...")`` in it then
    raises UnboundLocalError instead of showing the message (topology.discover did, once)."""
    offenders = [f"{path.relative_to(PACKAGE.parent)}:{fn.lineno} {fn.name}"
                 for path, tree in _modules().items() for fn in ast.walk(tree)
                 if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and "_" in _own_stores(fn)
                 and any(isinstance(c, ast.Call) and _name(c.func) == "_" and isinstance(c.func, ast.Name)
                         for c in ast.walk(fn))]
    assert offenders == []
