-- Q4 (average price for a category): the average over each category's
-- auctions of the top bid each had while it was open. A comma join of
-- auction and bid with a time condition on the joined row, an aggregate
-- over it and one over that.
-- Flink's query; dialect changes: CREATE MATERIALIZED VIEW q4 AS in place
-- of INSERT INTO a sink; Flink's `dateTime` is our connector's date_time.
CREATE MATERIALIZED VIEW q4 AS
  SELECT Q.category, AVG(Q.final)
  FROM (
    SELECT MAX(B.price) AS final, A.category
    FROM auction A, bid B
    WHERE A.id = B.auction AND B.date_time BETWEEN A.date_time AND A.expires
    GROUP BY A.id, A.category
  ) Q
  GROUP BY Q.category
