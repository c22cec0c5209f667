"""The interactive questionnaire: Rich prompts on stderr, so stdout carries only the result.

An invalid reply is asked again; Ctrl-C ends the prompt's line and propagates (the CLI boundary
exits cleanly, its message on a line of its own); end of input becomes an AnswersError. Answers
are returned to the caller and never written or logged here.
"""

from __future__ import annotations

from rich.markup import escape
from rich.panel import Panel
from rich.prompt import Prompt

from roboadvisor.cli import render
from roboadvisor.domain.questionnaire import Lang, Question, Questionnaire
from roboadvisor.errors import AnswersError

_TEXT = {
    Lang.EN: {"intro": "Answer with the number of your choice (or the option id). "
                       "Ctrl-C quits; nothing is saved.",
              "prompt": "Your answer", "invalid": "Please type a number from 1 to {n}."},
    Lang.ZH: {"intro": "请输入所选答案的编号（或选项代码）。按 Ctrl-C 退出，不会保存任何内容。",
              "prompt": "您的选择", "invalid": "请输入 1 到 {n} 之间的数字。"},
}


def ask_answers(questionnaire: Questionnaire, lang: Lang) -> dict[str, str]:
    """Ask every question in order; question id -> chosen option id."""
    console = render.err()
    text = _TEXT[lang]
    console.print(Panel(f"{escape(questionnaire.description.get(lang))}\n\n[dim]{text['intro']}",
                        title=escape(questionnaire.title.get(lang)), title_align="left",
                        expand=False))
    answers: dict[str, str] = {}
    total = len(questionnaire.questions)
    for number, question in enumerate(questionnaire.questions, 1):
        answers[question.id] = _ask(question, number, total, lang)
    return answers


def _ask(question: Question, number: int, total: int, lang: Lang) -> str:
    console = render.err()
    text = _TEXT[lang]
    console.print(f"\n[bold]{number}/{total}[/bold] {escape(question.text.get(lang))}")
    for i, option in enumerate(question.options, 1):
        console.print(f"  [cyan]{i}[/cyan]) {escape(option.text.get(lang))}")
    numbers = [str(i) for i in range(1, len(question.options) + 1)]
    prompt = Prompt(f"{text['prompt']} \\[1-{len(numbers)}]", console=console,
                    choices=numbers + list(question.option_ids), show_choices=False,
                    case_sensitive=False)
    prompt.illegal_choice_message = f"[prompt.invalid]{text['invalid'].format(n=len(numbers))}"
    try:
        reply = prompt().strip().lower()
    except KeyboardInterrupt:
        console.print()  # the cursor is still after the prompt: end its line
        raise
    except EOFError:
        console.print()
        raise AnswersError.from_catalog("zh_hardening.input_ended", id=repr(question.id),
                                        number=number, total=total) from None
    return question.options[int(reply) - 1].id if reply.isdigit() else reply
