module listing-03-02

go 1.19
