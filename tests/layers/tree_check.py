"""What the source-tree checks of this folder share (check_layers.py, check_statics.py):
   a fake tree for their self-tests, the self-test's verdict, and the command line."""
import argparse, os, tempfile


def fake_tree(files):
    """A temporary directory holding files ({relative path: text}); use it with `with`."""
    d = tempfile.TemporaryDirectory()
    for path, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(d.name, path)), exist_ok=True)
        with open(os.path.join(d.name, path), "w") as f:
            f.write(text)
    return d


def self_test_verdict(failures):
    """Prints the failed expectations, or that all held; the exit status."""
    if failures:
        print("\n".join(failures))
        return 1
    print("self-test: the check passes a clean tree and fails each violation")
    return 0


def main(doc, script, self_test, check_tree):
    """The command line: --self-test runs self_test(), else check_tree(root) checks the
       tree (default: the checkout that holds script). Both return the exit status."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(script)), "..", ".."))
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    return self_test() if args.self_test else check_tree(os.path.abspath(args.root))
