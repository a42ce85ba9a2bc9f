-- Q14 (calculation): bids between a million and 50 million euros, with the
-- part of the day they came in and how many 'c's their extra holds.
-- Flink's query; dialect changes: CREATE MATERIALIZED VIEW q14 AS in place
-- of INSERT INTO a sink, and count_char, a Java UDF in Flink's repository,
-- written as a SQL function.
CREATE FUNCTION count_char(s VARCHAR, c VARCHAR) RETURNS INT LANGUAGE SQL
  RETURN (char_length(s) - char_length(replace(s, c, ''))) / char_length(c);
CREATE MATERIALIZED VIEW q14 AS
  SELECT auction, bidder, 0.908 * price AS price,
    CASE
      WHEN HOUR(date_time) >= 8 AND HOUR(date_time) <= 18 THEN 'dayTime'
      WHEN HOUR(date_time) <= 6 OR HOUR(date_time) >= 20 THEN 'nightTime'
      ELSE 'otherTime'
    END AS bidTimeType,
    date_time, extra, count_char(extra, 'c') AS c_counts
  FROM bid
  WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000
