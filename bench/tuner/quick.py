import sys, statistics, time
sys.path.insert(0, "/tmp/h-tuner/bench/tuner")
import functions, drivers
B = "/tmp/h-tuner/build/tuner/mljob-study"
names = sys.argv[1].split(",")
seeds = int(sys.argv[2]); par = int(sys.argv[3]) if len(sys.argv) > 3 else 1
for name in names:
    params, f, fmin = functions.problems()[name]
    regs = []; lat = []
    t = time.time()
    for s in range(seeds):
        v, l = drivers.run_mljob(B, params, f, 50, s, parallel=par)
        regs.append(min(v) - fmin); lat += l
    print(name, "median regret %.4f" % statistics.median(regs), "max lat %.3f med %.3f" % (max(lat), statistics.median(lat)), "%.0fs" % (time.time()-t), [round(r,3) for r in regs], flush=True)
