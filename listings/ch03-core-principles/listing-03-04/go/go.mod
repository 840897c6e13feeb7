module listing-03-04

go 1.19
