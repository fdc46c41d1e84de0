// Pushes as fast as answers come from 4 clients, 1,000 unique points a push, to the agent on
// 127.0.0.1:1988 for N seconds (default 60), and prints what was acknowledged. Used with an
// all-in-one to measure its memory under load (docs/reliability.md, Memory under load).
const DURATION = Number(process.argv[2] ?? 60)
const end = Date.now() + DURATION * 1000
let points = 0,
  refused = 0,
  seq = 0
const base = Math.floor(Date.now() / 1000) - 3 * 86400
async function client(c) {
  while (Date.now() < end) {
    const body = []
    const s = seq++
    for (let i = 0; i < 1000; i++)
      body.push({
        endpoint: `mem-${c}`,
        metric: `m.${i % 50}`,
        timestamp: base + s * 10 + Math.floor(i / 50),
        step: 1,
        value: i,
        counterType: 'GAUGE',
        tags: '',
      })
    const r = await fetch('http://127.0.0.1:1988/v1/push', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).catch(() => null)
    if (r?.ok) points += 1000
    else refused++
    await r?.arrayBuffer().catch(() => {})
  }
}
await Promise.all([0, 1, 2, 3].map(client))
console.log(JSON.stringify({ points, refused, perSecond: Math.round(points / DURATION) }))
