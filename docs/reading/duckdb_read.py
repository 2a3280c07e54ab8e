import duckdb
import pyarrow.ipc as ipc

trace = ipc.open_file("fib.arrow").read_all()  # DuckDB queries the Arrow table in place
print(duckdb.sql("SELECT count(*), sum(step) FROM trace").fetchall())  # [(103, 5253)]
print(duckdb.sql("SELECT opcode, count(*) AS n FROM trace GROUP BY opcode ORDER BY n DESC, opcode LIMIT 2").fetchall())  # [(2, 37), (3, 28)]
