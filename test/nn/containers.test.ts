/**
 * nn.ModuleList and nn.ModuleDict, and plain arrays/objects of modules in fields: PyTorch's
 * state-dict keys (containers.json, written by make_state_dict_fixtures.py), reached by
 * parameters(), namedParameters(), namedModules(), train()/eval(), stateDict() and the printed
 * model; modules kept any other way are an error at first use, never silently left out.
 */
import { describe, expect, it } from 'vitest';
import { fit, loss, manualSeed, nn, ops, optim, randn, Tensor, tensor } from '../../src/index.js';
import { expectThrowsMentioning, fixture } from '../helpers/check.js';

const C = fixture<{ stateDictKeys: string[]; parameterNames: string[]; moduleNames: string[] }>('containers.json');

class Block extends nn.Module {
  lin1: nn.Linear;
  norm: nn.BatchNorm1d;
  lin2: nn.Linear;
  constructor(width: number) {
    super();
    this.lin1 = new nn.Linear(width, width);
    this.norm = new nn.BatchNorm1d(width);
    this.lin2 = new nn.Linear(width, width);
  }
  forward(x: Tensor): Tensor {
    return ops.add(x, this.lin2.forward(ops.relu(this.norm.forward(this.lin1.forward(x)))));
  }
}

/** The PyTorch model of make_state_dict_fixtures.py, written as a PyTorch user would. */
class Net extends nn.Module {
  stem = new nn.Linear(4, 6);
  blocks = new nn.ModuleList([new Block(6), new Block(6)]);
  heads = new nn.ModuleDict({ cls: new nn.Linear(6, 3), reg: new nn.Linear(6, 1) });
  forward(x: Tensor): Tensor {
    let h = this.stem.forward(x);
    for (let i = 0; i < this.blocks.length; i++) h = this.blocks[i].forward(h);
    return this.heads.get('cls').forward(h);
  }
}

/** The same model with a plain array and a plain object, as people first write it. */
class PlainNet extends nn.Module {
  stem = new nn.Linear(4, 6);
  blocks = [new Block(6), new Block(6)];
  heads = { cls: new nn.Linear(6, 3), reg: new nn.Linear(6, 1) };
  forward(x: Tensor): Tensor {
    let h = this.stem.forward(x);
    for (const b of this.blocks) h = b.forward(h);
    return this.heads.cls.forward(h);
  }
}

describe('ModuleList and ModuleDict register their modules with PyTorch’s keys', () => {
  for (const [name, make] of [
    ['ModuleList/ModuleDict', () => new Net()],
    ['plain array/object', () => new PlainNet()],
  ] as const) {
    it(`${name}: stateDict keys, parameter names and module names are PyTorch’s`, () => {
      const net = make();
      expect(Object.keys(net.stateDict())).toEqual(C.stateDictKeys);
      expect(net.namedParameters().map(([k]) => k)).toEqual(C.parameterNames);
      expect(net.namedModules().map(([k]) => k)).toEqual(C.moduleNames);
      expect(net.parameters().length).toBe(C.parameterNames.length);
    });

    it(`${name}: eval() reaches the BatchNorm inside the blocks, train() brings it back`, () => {
      const net = make();
      net.eval();
      const norms = net.namedModules().filter(([, m]) => m instanceof nn.BatchNorm1d);
      expect(norms.length).toBe(2);
      for (const [, m] of norms) expect(m.training).toBe(false);
      net.train();
      for (const [, m] of norms) expect(m.training).toBe(true);
    });

    it(`${name}: an optimizer built from parameters() updates the blocks`, () => {
      manualSeed(1);
      const net = make();
      const opt = new optim.SGD(net.parameters(), { lr: 0.1 });
      const before = Float32Array.from((net.namedParameters().find(([k]) => k === 'blocks.1.lin2.weight')![1]).data);
      loss.crossEntropy(net.forward(randn([8, 4])), tensor([0, 1, 2, 0, 1, 2, 0, 1])).backward();
      opt.step();
      const after = net.namedParameters().find(([k]) => k === 'blocks.1.lin2.weight')![1].data;
      expect(Array.from(after)).not.toEqual(Array.from(before));
    });

    it(`${name}: the printed model shows the containers and their modules`, () => {
      const s = make().toString();
      expect(s).toContain('(blocks): ModuleList(');
      expect(s).toContain('(0): Block(');
      expect(s).toContain('(1): Block(');
      expect(s).toContain('(heads): ModuleDict(');
      expect(s).toContain('(cls): Linear(inFeatures=6, outFeatures=3');
      expect(s).toContain('(norm): BatchNorm1d(6');
    });

    it(`${name}: a stateDict loads into a fresh model of the other kind`, () => {
      const a = make();
      const b = name === 'plain array/object' ? new Net() : new PlainNet();
      b.loadStateDict(a.stateDict());
      for (const [k, t] of Object.entries(b.stateDict())) expect(Array.from(t.data), k).toEqual(Array.from(a.stateDict()[k].data));
    });
  }

  it('a module pushed to a plain array later is registered too', () => {
    const net = new PlainNet();
    net.blocks.push(new Block(6));
    expect(Object.keys(net.stateDict())).toContain('blocks.2.lin2.bias');
  });
});

describe('ModuleList', () => {
  it('index access: get(i), list[i], negative indices from the end, out of range throws', () => {
    const a = new nn.Linear(1, 1);
    const b = new nn.ReLU();
    const list = new nn.ModuleList<nn.Module>([a, b]);
    expect(list.length).toBe(2);
    expect(list.get(0)).toBe(a);
    expect(list[1]).toBe(b);
    expect(list[-1]).toBe(b);
    expect(list.get(-2)).toBe(a);
    expect(0 in list).toBe(true);
    expect(2 in list).toBe(false);
    expectThrowsMentioning(() => list.get(2), ['index 2', 'out of range', '2 modules']);
    expectThrowsMentioning(() => list[5], ['index 5', 'out of range']);
    expectThrowsMentioning(() => list.get(1.5), ['ModuleList.get', 'integer', '1.5']);
    expectThrowsMentioning(() => list.set('0' as never, a), ['ModuleList.set', 'integer']);
    expect(list).toBeInstanceOf(nn.ModuleList);
    expect(list).toBeInstanceOf(nn.Module);
  });

  it('append, extend, insert, pop, list[i] = m, and iteration in order', () => {
    const l = (n: number) => new nn.Linear(n, 1);
    const list = new nn.ModuleList<nn.Linear>();
    expect(list.length).toBe(0);
    list.append(l(1)).extend([l(2), l(3)]);
    list.insert(0, l(4));
    list.insert(-1, l(9)); // before the last, as Python's list.insert
    expect([...list].map((m) => m.inFeatures)).toEqual([4, 1, 2, 9, 3]);
    expect(list.pop().inFeatures).toBe(3);
    expect(list.pop(0).inFeatures).toBe(4);
    list[0] = l(7);
    const seen: number[] = [];
    for (const m of list) seen.push(m.inFeatures);
    expect(seen).toEqual([7, 2, 9]);
    expect(Object.keys(list.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '2.weight', '2.bias']);
  });

  it('rejects non-modules naming the method and the value, and is not callable', () => {
    const list = new nn.ModuleList();
    expectThrowsMentioning(() => list.append(3 as never), ['ModuleList.append', 'Module', 'number']);
    expectThrowsMentioning(() => list.extend([new nn.ReLU(), 'x' as never]), ['ModuleList.extend', 'item 1', 'string']);
    expectThrowsMentioning(() => new nn.ModuleList(5 as never), ['ModuleList', 'iterable']);
    expectThrowsMentioning(() => {
      list[0] = new nn.ReLU();
    }, ['index 0', 'out of range']);
    expectThrowsMentioning(() => list.forward(randn([1, 1])), ['ModuleList', 'container', 'forward']);
  });
});

describe('ModuleDict', () => {
  it('get/set/has/delete, keys/values/entries and iteration in insertion order', () => {
    const d = new nn.ModuleDict<nn.Module>({ b: new nn.ReLU(), a: new nn.Tanh() });
    d.set('c', new nn.Linear(2, 2));
    expect([...d.keys()]).toEqual(['b', 'a', 'c']);
    expect([...d.values()].map((m) => m.typeName)).toEqual(['ReLU', 'Tanh', 'Linear']);
    expect([...d.entries()].map(([k]) => k)).toEqual(['b', 'a', 'c']);
    expect([...d].map(([k, m]) => `${k}:${m.typeName}`)).toEqual(['b:ReLU', 'a:Tanh', 'c:Linear']);
    expect(d.size).toBe(3);
    expect(d.has('a')).toBe(true);
    expect(d.delete('a')).toBe(true);
    expect(d.has('a')).toBe(false);
    expect(Object.keys(d.stateDict())).toEqual(['c.weight', 'c.bias']);
    expect(d.pop('c').typeName).toBe('Linear');
    expect(d.size).toBe(1);
    d.clear();
    expect(d.size).toBe(0);
    const fromPairs = new nn.ModuleDict([['x', new nn.ReLU()]]);
    expect([...fromPairs.keys()]).toEqual(['x']);
  });

  it('bad keys and values are errors naming them', () => {
    const d = new nn.ModuleDict({ head: new nn.ReLU() });
    expectThrowsMentioning(() => d.get('tail'), ["'tail'", 'head']);
    expectThrowsMentioning(() => d.set('a.b', new nn.ReLU()), ['"a.b"', "'.'"]);
    expectThrowsMentioning(() => d.set('', new nn.ReLU()), ['""', 'non-empty']);
    expectThrowsMentioning(() => d.set('x', {} as never), ["set('x')", 'Module']);
    expectThrowsMentioning(() => new nn.ModuleDict({ ok: new nn.ReLU(), bad: 2 as never }), ["set('bad')", 'number']);
    expectThrowsMentioning(() => d.forward(randn([1, 1])), ['ModuleDict', 'container']);
  });
});

describe('modules kept where training would not reach them are an error, never ignored', () => {
  class Mixed extends nn.Module {
    layers: unknown[] = [new nn.Linear(2, 2), 'relu'];
    forward(x: Tensor) {
      return x;
    }
  }
  class Nested extends nn.Module {
    stages = [[new nn.Linear(2, 2)], [new nn.Linear(2, 2)]];
    forward(x: Tensor) {
      return x;
    }
  }
  class InMap extends nn.Module {
    heads = new Map([['a', new nn.Linear(2, 2)]]);
    forward(x: Tensor) {
      return x;
    }
  }
  class MixedObject extends nn.Module {
    config = { act: new nn.ReLU(), width: 16 };
    forward(x: Tensor) {
      return x;
    }
  }
  class ParamArray extends nn.Module {
    ws = [new nn.Parameter(randn([2, 2]))];
    forward(x: Tensor) {
      return x;
    }
  }
  class Fine extends nn.Module {
    sizes = [1, 2, 3];
    names = { a: 'x' };
    empty: nn.Module[] = [];
    lin = new nn.Linear(2, 2);
    forward(x: Tensor) {
      return x;
    }
  }

  it('a mixed array: parameters(), train(), stateDict() and toString() all say so and point to ModuleList', () => {
    const m = new Mixed();
    for (const use of [() => m.parameters(), () => m.train(), () => m.eval(), () => m.stateDict(), () => m.toString(), () => m.namedModules()]) {
      expectThrowsMentioning(use, ['Mixed.layers', 'index 1 is a string', 'nn.ModuleList']);
    }
  });

  it('nested arrays, a Map, a mixed object and an array of Parameters are errors naming the field', () => {
    expectThrowsMentioning(() => new Nested().parameters(), ['Nested.stages', 'index 0 is an array', 'nn.ModuleList']);
    expectThrowsMentioning(() => new InMap().parameters(), ['InMap.heads', 'Map', 'nn.ModuleDict']);
    expectThrowsMentioning(() => new MixedObject().parameters(), ['MixedObject.config', "'width' is a number", 'nn.ModuleDict']);
    expectThrowsMentioning(() => new ParamArray().parameters(), ['ParamArray.ws', 'parameters', 'own field']);
  });

  it('arrays and objects without modules stay plain fields', () => {
    const m = new Fine();
    expect(Object.keys(m.stateDict())).toEqual(['lin.weight', 'lin.bias']);
    expect(m.namedModules().map(([k]) => k)).toEqual(['', 'lin']);
  });
});

describe('a model built with containers trains with fit', () => {
  it('fit (monitors and health rules on) updates every block and every head used, and the loss falls', async () => {
    manualSeed(5);
    const net = new Net();
    const before = Object.fromEntries(net.namedParameters().map(([k, p]) => [k, Float32Array.from(p.data)]));
    const x = randn([64, 4]);
    const y = tensor(Array.from({ length: 64 }, (_, i) => (x.data[i * 4] > 0 ? 1 : 0) + (x.data[i * 4 + 1] > 0 ? 1 : 0)));
    const report = await fit(net, { x, y }, { epochs: 8, batchSize: 16, lr: 0.01, seed: 0, monitor: { every: 2 } });
    for (const [k, p] of net.namedParameters()) {
      if (k.startsWith('heads.reg')) expect(Array.from(p.data), k).toEqual(Array.from(before[k])); // unused head: no gradient
      else expect(Array.from(p.data), k).not.toEqual(Array.from(before[k]));
    }
    const losses = report.history.epochs.map((e) => e.loss);
    expect(losses.at(-1)!).toBeLessThan(losses[0]);
    expect(report.config.model).toContain('(blocks): ModuleList(');
  });
});
