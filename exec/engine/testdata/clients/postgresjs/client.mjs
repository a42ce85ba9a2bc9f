// postgres.js (the npm package "postgres") with its default options, as
// TestPostgresJSClient runs it: its first query of a connection (the
// pg_type self-join that fetches array types), simple and parameterised
// queries through the extended protocol with prepared statements, a
// rejected query that must reject its promise and leave Node and the
// connection running, and a SELECT of a materialized view.
import postgres from 'postgres'

const sql = postgres(process.argv[2])
const show = (label, rows) => console.log(label + ': ' + JSON.stringify(rows))

try {
  show('first query', await sql`SELECT 1 AS one`)
  const types = await sql`SELECT b.oid, b.typarray FROM pg_catalog.pg_type a
    LEFT JOIN pg_catalog.pg_type b ON b.oid = a.typelem
    WHERE a.typcategory = 'A' AND b.typname = 'int8' GROUP BY b.oid, b.typarray ORDER BY b.oid`
  show('array types', types)
  await sql`CREATE TABLE bids (auction BIGINT, bidder INT, price DOUBLE PRECISION, note VARCHAR, ok BOOLEAN)`
  for (let i = 0; i < 6; i++) {
    await sql`INSERT INTO bids VALUES (${1000 + (i % 2)}, ${i}, ${i * 1.5}, ${'bid ' + i + " it's"}, ${i % 3 === 0})`
  }
  show('parameters', await sql`SELECT auction, bidder, price, note, ok FROM bids WHERE bidder >= ${2} AND note <> ${'x'} ORDER BY bidder`)
  show('null parameter', await sql`SELECT ${null}::INT AS n, ${'text'} AS s`)
  show('unsafe', await sql.unsafe('SELECT count(*) AS n, sum(price) AS s FROM bids'))
  show('simple', await sql.unsafe('SELECT bidder FROM bids WHERE bidder < 2 ORDER BY bidder', [], { prepare: false }))
  try {
    await sql`SELEC 1`
    console.log('rejected: no error')
  } catch (e) {
    console.log('rejected: ' + e.code + ' ' + e.message)
  }
  try {
    await sql`SELECT * FROM nope`
  } catch (e) {
    console.log('rejected: ' + e.code + ' ' + e.message)
  }
  await sql`CREATE MATERIALIZED VIEW by_auction AS SELECT auction, count(*) AS n, max(price) AS top FROM bids GROUP BY auction`
  await sql`FLUSH`
  show('view', await sql`SELECT auction, n, top FROM by_auction ORDER BY auction`)
  await sql`INSERT INTO bids VALUES (1000, 99, 99.5, 'late', false)`
  await sql`FLUSH`
  show('view after insert', await sql`SELECT auction, n, top FROM by_auction WHERE auction = ${1000}`)
  console.log('done')
} finally {
  await sql.end({ timeout: 5 })
}
