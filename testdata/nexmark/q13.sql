-- Q13 (bounded side input join): every bid, enriched with side_input's
-- value for its auction modulo 10,000. A lookup join: each bid reads
-- side_input's row as it is when the bid arrives (side_input.sql, a table
-- whose PRIMARY KEY is "key", filled before the bids).
-- Flink's query; dialect changes: CREATE MATERIALIZED VIEW q13 AS in place
-- of INSERT INTO a sink; Flink's (SELECT *, PROCTIME() AS p_time FROM bid)
-- is bid.sql's p_time column; `dateTime` is date_time; "key" is quoted
-- as PostgreSQL quotes (Flink's `value` needs no quotes here).
CREATE MATERIALIZED VIEW q13 AS
  SELECT B.auction, B.bidder, B.price, B.date_time, S.value
  FROM bid B
  JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S
  ON mod(B.auction, 10000) = S."key"
