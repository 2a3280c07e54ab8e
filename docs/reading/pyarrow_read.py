import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

# memory_map: the columns are read in place, not copied (an uncompressed trace)
trace = ipc.open_file(pa.memory_map("fib.arrow")).read_all()
print(trace.num_rows)  # 103
print(trace.schema.metadata[b"tvm.schema"].decode())  # tvm-trace/trace/v2
print(trace.schema.field("gate").type)  # fixed_size_list<item: int16 not null>[5]
print(pc.sum(trace["step"]).as_py())  # 5253
print(trace.slice(102, 1).select(["step", "pc", "next_acc", "next_halted"]).to_pylist())  # [{'step': 102, 'pc': 15, 'next_acc': 21, 'next_halted': True}]
