module benchcounters

go 1.19
