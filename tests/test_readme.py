"""The README's first two commands are the ones CI and a new user run; they must stay true."""

import re

from edge import PROJECT_ROOT


def readme_commands() -> list[str]:
    text = (PROJECT_ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block and text.index("```bash") < 20, "the README must start with its commands"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_starts_with_the_main_job_and_the_tests():
    main_job, tests = readme_commands()
    assert main_job.startswith("scripts/bootstrap && ") and " samples" in main_job
    assert tests == "scripts/bootstrap && .venv/bin/python -m pytest"


def test_ci_runs_the_readme_test_command():
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert readme_commands()[1] in ci


def test_the_sample_the_main_job_screens_is_shipped():
    main_job = readme_commands()[0]
    folder = main_job.split(" screen ")[1].split()[0]
    assert any((PROJECT_ROOT / folder).glob("*.mp4")) and any((PROJECT_ROOT / folder).glob("*.wav"))
