import sys, time
from omegaconf import OmegaConf
from model.config import FearsimConfig
from model import simulate
import yaml
base = OmegaConf.structured(FearsimConfig)
parts = {g: OmegaConf.load(f'configs/{g}/{f}.yaml') for g, f in [('network','fear_circuit'),('synapses','default'),('plasticity','calcium'),('protocol','fear_extinction'),('readout','default'),('simulation','default'),('paths','default')]}
cfg = OmegaConf.merge(base, parts, OmegaConf.from_dotlist(sys.argv[1:]))
cfg = OmegaConf.to_object(cfg)
t=time.time()
out = simulate.run(cfg, progress=print)
print('wall', time.time()-t, out.timings)
ds = out.summary
import numpy as np
np.set_printoptions(precision=1, suppress=True, linewidth=200)
print('freezing', ds.freezing.values)
print(ds.phase_freezing.to_series())
for p in ds.population.values:
    print(f"{p:9s} rest {float(ds.resting_rate.sel(population=p)):6.2f}  cs:", ds.rate_cs.sel(population=p).values[[0,4,9,10,20,29,30,34]])
print(ds.weight_end.to_pandas())
print('il burst', ds.il_burst_rate.values)
