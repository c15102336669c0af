"""Command line entry: `python -m nvg <command> [options]` (wrapped by package.json's models:* scripts)."""
import importlib
import sys

COMMANDS = {
    "dataset": ("nvg.emoji_dataset", "build the emoji dataset from the npm packages"),
    "train": ("nvg.train", "train tokenizer and generators, then export and evaluate a pack"),
    "export": ("nvg.export", "export a trained run to a model pack and check it in onnxruntime"),
    "eval": ("nvg.evaluate", "measure a pack on the held-out split"),
    "quality": ("nvg.quality", "classifier-based generation quality and structure adherence of a pack"),
    "samples": ("nvg.samples", "sample sheets (per class, structure-guided) for a pack's model card"),
    "sample": ("nvg.sampler", "generate images with the Python reference sampler"),
    "fixtures": ("nvg.fixtures", "write the Python/TypeScript parity fixtures"),
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print("usage: python -m nvg <command> [options]\n\ncommands:")
        for name, (_, help_text) in COMMANDS.items():
            print(f"  {name:10s} {help_text}")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    return module.main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
