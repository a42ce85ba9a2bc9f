-- Q3 (local item suggestion): who sells category-10 items in Oregon, Idaho
-- or California, and which auctions. A regular join of auction and person.
-- Flink's query; dialect changes: CREATE MATERIALIZED VIEW q3 AS in place
-- of INSERT INTO a blackhole sink.
CREATE MATERIALIZED VIEW q3 AS
  SELECT P.name, P.city, P.state, A.id
  FROM auction AS A INNER JOIN person AS P ON A.seller = P.id
  WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA')
