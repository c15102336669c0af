"""The five model calls of NVG behind one interface, on either runtime:
- OrtBackend: a model pack (ONNX graphs in onnxruntime), what the app ships;
- TorchBackend: a trained run's PyTorch modules, for checking the export.
All arrays in and out are numpy (float32 / int64), shapes as in docs/model-pack.md."""
import json
import os

import numpy as np
import torch


class PackError(Exception):
    pass


class OrtBackend:
    def __init__(self, pack_dir, threads=None):
        import onnxruntime as ort

        path = os.path.join(pack_dir, "manifest.json")
        try:
            with open(path) as fh:
                self.manifest = json.load(fh)
        except (OSError, json.JSONDecodeError) as err:
            raise PackError(f"{path}: cannot read the pack manifest ({err})") from None
        if self.manifest.get("format") != "nvg-pack" or self.manifest.get("formatVersion") != 1:
            raise PackError(f"{path}: not an nvg-pack of formatVersion 1")
        m = self.manifest
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or os.cpu_count() or 1
        opts.log_severity_level = 3
        self.sessions = {name: ort.InferenceSession(os.path.join(pack_dir, f["file"]), opts, providers=["CPUExecutionProvider"])
                         for name, f in m["files"].items()}
        V, e = m["codebook"]["V"], m["codebook"]["e"]
        self.codebook = np.fromfile(os.path.join(pack_dir, m["codebook"]["file"]), dtype="<f4").reshape(V, e)
        self.K, self.h, self.w, self.e = m["stages"]["K"], m["latent"]["h"], m["latent"]["w"], m["latent"]["e"]
        self.null_class = m["nullClass"]
        self.sampling = m["sampling"]

    def _run(self, name, **inputs):
        return self.sessions[name].run(None, inputs)

    def encoder(self, image):
        return self._run("encoder", image=image.astype(np.float32))[0]

    def decoder(self, latent):
        return self._run("decoder", latent=latent.astype(np.float32))[0]

    def refiner(self, x, k):
        return self._run("refiner", x=x.astype(np.float32), stage=np.array([k], dtype=np.int64))[0]

    def content(self, class_id, stage, canvas, structure, pool):
        return tuple(self._run("content", class_id=class_id.astype(np.int64), stage=stage.astype(np.int64),
                               canvas=canvas.astype(np.float32), structure=structure.astype(np.int64), pool=pool.astype(np.float32)))

    def structure(self, class_id, stage, t, canvas, structure, noisy):
        return self._run("structure", class_id=class_id.astype(np.int64), stage=stage.astype(np.int64), t=t.astype(np.float32),
                         canvas=canvas.astype(np.float32), structure=structure.astype(np.int64), noisy=noisy.astype(np.float32))[0]


class TorchBackend:
    def __init__(self, run):
        self.run = run
        tok = run.tokenizer
        self.codebook = tok.quantizer.codebook.weight.detach().numpy()
        self.K = run.content.cfg.K
        self.h = self.w = run.cfg.tokenizer.latent_size
        self.e = run.cfg.tokenizer.latent_dim
        self.null_class = len(run.classes)
        self.sampling = dict(run.cfg.sampling.__dict__)

    @staticmethod
    @torch.no_grad()
    def _call(fn, *arrays):
        out = fn(*[torch.from_numpy(np.ascontiguousarray(a)) for a in arrays])
        return tuple(o.numpy() for o in out) if isinstance(out, tuple) else out.numpy()

    def encoder(self, image):
        return self._call(self.run.tokenizer.encoder, image.astype(np.float32))

    def decoder(self, latent):
        return self._call(self.run.tokenizer.decoder, latent.astype(np.float32))

    def refiner(self, x, k):
        return self._call(lambda t: self.run.tokenizer.quantizer.refiners(t, k), x.astype(np.float32))

    def content(self, class_id, stage, canvas, structure, pool):
        return self._call(self.run.content, class_id.astype(np.int64), stage.astype(np.int64), canvas.astype(np.float32),
                          structure.astype(np.int64), pool.astype(np.float32))

    def structure(self, class_id, stage, t, canvas, structure, noisy):
        return self._call(self.run.structure, class_id.astype(np.int64), stage.astype(np.int64), t.astype(np.float32),
                          canvas.astype(np.float32), structure.astype(np.int64), noisy.astype(np.float32))
