module listing-03-05

go 1.19
