"""Writes a synthetic training log of about SIZE bytes as srun --label leaves it in output.log:
four replicas' lines interleaved, one line in five carrying metrics (Keras-style progress,
validation lines), the rest the chatter trainers print. Deterministic (seeded)."""
import random
import sys


def main(path, size):
    rng = random.Random(4)
    written = 0
    step = 0
    with open(path, "w", buffering=1 << 20) as out:
        while written < size:
            lines = []
            for _ in range(1000):
                rank = rng.randrange(4)
                kind = rng.randrange(10)
                step += 1
                if kind == 0:
                    text = (f"Epoch {step // 1000}/100 step {step}: loss: {rng.random():.4f} - "
                            f"accuracy: {rng.random():.4f} - lr: 0.001")
                elif kind == 1:
                    text = f"validation step={step} val_loss={rng.random() * 3:.5e} val_acc={rng.random():.4f}"
                elif kind < 5:
                    text = (f"INFO:tensorflow:global_step/sec: {rng.random() * 100:.3f} "
                            f"examples/sec: {rng.random() * 5000:.1f}")
                else:
                    text = (f"[2024-05-0{rank + 1} 12:{step % 60:02d}:{(step * 7) % 60:02d}] worker {rank} "
                            f"read shard {step % 977} of /data/train-{step % 1024:05d}-of-01024.tfrecord in "
                            f"{rng.random():.3f}s")
                lines.append(f"{rank}: {text}\n")
            chunk = "".join(lines)
            out.write(chunk)
            written += len(chunk)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
