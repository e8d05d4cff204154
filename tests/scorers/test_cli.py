"""`perfscore train scorers` and `perfscore export scorers` are registered without importing torch."""

import subprocess
import sys

from edge import PROJECT_ROOT


def test_the_commands_register_without_torch_and_show_help():
    code = ("import sys, argparse, training.cli, export.cli;"
            "p = argparse.ArgumentParser(); s = p.add_subparsers();"
            "training.cli.register(s); export.cli.register(s);"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "False", out.stderr
    for args in (["train", "scorers", "fit", "--help"], ["train", "scorers", "import-judges", "--help"],
                 ["export", "scorers", "--help"]):
        done = subprocess.run([sys.executable, "-m", "edge.cli.main", *args], capture_output=True, text=True)
        assert done.returncode == 0 and "usage" in done.stdout, done.stderr


def test_unknown_model_keys_are_refused_by_name():
    done = subprocess.run([sys.executable, "-m", "edge.cli.main", "train", "scorers", "fit", "--models", "gru,rnn",
                           "--corpus", "/nonexistent"], capture_output=True, text=True)
    assert done.returncode != 0 and "unknown key(s) rnn" in done.stderr


def test_a_file_that_is_not_a_checkpoint_is_named_with_the_reason(tmp_path):
    fake = tmp_path / "gru.pt"
    fake.write_text("not a checkpoint\n")
    sample = PROJECT_ROOT / "samples" / "music_violin.wav"
    done = subprocess.run([sys.executable, "-m", "edge.cli.main", "analyze", str(sample), "--model", str(fake)],
                          capture_output=True, text=True)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"{fake}: not a readable torch checkpoint" in done.stderr
