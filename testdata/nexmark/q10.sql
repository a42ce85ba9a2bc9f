-- Q10 (log to file system): every bid with its day and minute, written to a
-- CSV file. Flink's query; dialect changes: CREATE MATERIALIZED VIEW q10 AS
-- the INSERT's SELECT, and CREATE SINK ... FROM q10 WITH (connector = 'file')
-- in place of Flink's filesystem table, which is one file here (Flink
-- partitions it into dt/hm directories and commits each partition a minute
-- after the watermark passes it); the columns are named as Flink's table
-- names them (dateTime is date_time).
CREATE MATERIALIZED VIEW q10 AS
  SELECT auction, bidder, price, date_time, extra,
         DATE_FORMAT(date_time, 'yyyy-MM-dd') AS dt, DATE_FORMAT(date_time, 'HH:mm') AS hm
  FROM bid;
CREATE SINK q10_files FROM q10 WITH (connector = 'file', path = 'q10/bid.csv', format = 'csv')
