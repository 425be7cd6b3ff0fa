import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, lineChart, linearTicks, panels, scatterChart } from '../../src/viz/svg.ts';

/** A small well-formedness check: balanced tags, quoted attributes, one root <svg>, no stray '<' or '&'. */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  let roots = 0;
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = tag.exec(svg))) {
    const between = svg.slice(last, m.index);
    assert.ok(!between.includes('<'), `malformed markup near: ${between.slice(0, 80)}`);
    assert.ok(
      !/&(?!(amp|lt|gt|quot|apos);)/.test(between),
      `unescaped & in text: ${between.slice(0, 80)}`,
    );
    last = m.index + m[0].length;
    const [, close, name, , selfClose] = m;
    if (close) {
      assert.equal(stack.pop(), name, `closing </${name}> does not match`);
    } else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) roots++;
  }
  assert.ok(!svg.slice(last).includes('<'), 'trailing markup is malformed');
  assert.equal(stack.length, 0, `unclosed tags: ${stack.join(', ')}`);
  assert.equal(roots, 1, 'exactly one root element');
  assert.ok(
    svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'),
    'root is an SVG element with the namespace',
  );
}

const series = [
  {
    name: 'NE',
    points: [
      [0.05, 10],
      [0.5, 0.1],
      [0.95, 1e-4],
    ] as [number, number][],
  },
  {
    name: 'GE <c=σ²> & co',
    points: [
      [0.05, 1e5],
      [0.5, 2],
      [0.95, 1e-8],
    ] as [number, number][],
  },
  {
    name: 'CV',
    points: [
      [0.05, 9],
      [0.5, 0.05],
      [0.95, 0],
      [0.7, Number.NaN],
    ] as [number, number][],
  },
];

describe('svg charts', () => {
  it('line chart on a log axis: well-formed, one polyline per series, legend, axis labels with units', () => {
    const svg = lineChart(series, {
      title: 'MSE vs t',
      xLabel: 't (path time)',
      yLabel: 'MSE (squared units)',
      logY: true,
    });
    assertWellFormed(svg);
    for (const s of series)
      assert.ok(svg.includes(`data-name="${escapeXml(s.name)}"`), `series ${s.name}`);
    assert.equal((svg.match(/<polyline/g) ?? []).length, 3);
    // the CV series drops y = 0 (log axis) and NaN: two markers; the others three each
    const cv = svg.slice(svg.indexOf('data-name="CV"'));
    assert.equal((cv.slice(0, cv.indexOf('</g>')).match(/<circle/g) ?? []).length, 2);
    assert.ok(svg.includes('class="legend"'));
    assert.ok(svg.includes('t (path time)') && svg.includes('MSE (squared units) (log scale)'));
    // decade ticks from 1e-8 (13 decades: every second one is labelled)
    assert.ok(svg.includes('>1e-8<') && svg.includes('>1e4<') && !svg.includes('>1e-7<'));
    assert.ok(svg.includes('GE &lt;c=σ²&gt; &amp; co'));
  });

  it('scatter chart and panels are well-formed and keep every series', () => {
    const pts = Array.from(
      { length: 50 },
      (_, i) => [Math.cos(i), Math.sin(i)] as [number, number],
    );
    const sc = scatterChart(
      [
        { name: 'exact', points: pts },
        { name: 'flow', points: pts.map(([x, y]) => [x + 0.1, y]) },
      ],
      {
        xLabel: 'x0',
        yLabel: 'x1',
        xRange: [-2, 2],
        yRange: [-2, 2],
        equalAspect: true,
      },
    );
    assertWellFormed(sc);
    assert.ok(sc.includes('data-name="exact"') && sc.includes('data-name="flow"'));
    assert.ok((sc.match(/<circle/g) ?? []).length >= 100);
    const lc = lineChart(series, { xLabel: 'x', yLabel: 'y' });
    const both = panels([lc, sc], 2, 'two panels');
    assertWellFormed(both);
    assert.equal((both.match(/<svg/g) ?? []).length, 3);
    assert.ok(both.includes('data-name="exact"') && both.includes('data-name="NE"'));
  });

  it('linear ticks are round numbers covering the range', () => {
    assert.deepEqual(
      linearTicks(0, 1),
      [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1].map((v) => v),
    );
    const t = linearTicks(-3.7, 12.2);
    assert.ok(t[0] >= -3.7 && t[t.length - 1] <= 12.2 && t.length >= 3);
  });
});
