-- Q13's side input: the keys 0 to 9,999, each with its text as its value,
-- as Flink's SideInputGenerator writes side_input.txt (--num 10000). Flink
-- reads that file with its filesystem connector; here a datagen sequence
-- makes the keys and a materialized view holds the rows, bounded.
CREATE SOURCE side_gen ("key" BIGINT)
  WITH (connector = 'datagen', rows_per_second = 0, max_rows = 10000, fields.key.kind = 'sequence');
CREATE MATERIALIZED VIEW side_input AS SELECT "key", CAST("key" AS VARCHAR) AS value FROM side_gen;
