# The Xavier/He lessons (lab/src/lessons.ts, DEPTH30): sigma of layer 30 over layer 1 at
# initialization for 300 draws of a 30-layer ReLU MLP on circles-like data, widths 16 and 32.
# Run: /usr/bin/python3 bench/depth30-spread.py
import numpy as np
def ratio(W, rng, init):
    n=400
    t=rng.uniform(0,2*np.pi,n); r=np.where(rng.random(n)<0.5,0.5,1.0)
    x=np.stack([r*np.cos(t),r*np.sin(t)],1)+rng.normal(0,0.1,(n,2))
    sds=[]; h=x; fin=2
    for i in range(30):
        std = np.sqrt(2/fin) if init=='he' else np.sqrt(2/(fin+W))
        w=rng.normal(0,std,(fin,W)); h=np.maximum(h@w,0); sds.append(h.std()); fin=W
    return sds[-1]/sds[0]
for W in (16,32):
    for init in ('he','xavier'):
        rng=np.random.default_rng(0)
        rs=np.array([ratio(W,rng,init) for _ in range(300)])
        print(W,init,'quantiles 1,5,50,95,99%:',np.percentile(rs,[1,5,50,95,99]).round(6), 'frac<1/4',(rs<0.25).mean(),'frac>4',(rs>4).mean(),'frac<0.01',(rs<0.01).mean())
