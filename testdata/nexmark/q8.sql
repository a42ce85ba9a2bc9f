-- Q8 (monitor new users): the persons who joined and opened an auction in
-- the same 10-second window. A window join of two window aggregates, on
-- the window and the person.
-- Flink's query; dialect changes: CREATE MATERIALIZED VIEW q8 AS in place
-- of INSERT INTO a sink; `dateTime` is date_time. With EMIT ON WINDOW
-- CLOSE both windows emit final rows and the equal window ends make it a
-- window join, as in Flink: rows final when both windows close, and each
-- window's state then dropped.
CREATE MATERIALIZED VIEW q8 EMIT ON WINDOW CLOSE AS
  SELECT P.id, P.name, P.starttime
  FROM (
    SELECT id, name, window_start AS starttime, window_end AS endtime
    FROM TABLE(TUMBLE(TABLE person, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
    GROUP BY id, name, window_start, window_end
  ) P
  JOIN (
    SELECT seller, window_start AS starttime, window_end AS endtime
    FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
    GROUP BY seller, window_start, window_end
  ) A
  ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime
