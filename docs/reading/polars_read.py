import polars as pl

trace = pl.read_ipc("fib.arrow")
print(trace.height)  # 103
# step and log_step are Int32: widen before summing (polars sums Int32 as Int32 and wraps)
print(trace.select(pl.col("step").cast(pl.Int64).sum()).item())  # 5253
writes = trace.filter(pl.col("access_write")).select("step", "access_addr", "access_value")
print(writes.tail(1).rows())  # [(96, 3, 7)]
